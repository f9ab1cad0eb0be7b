export { default } from '../alerting/bench/offlineDetection.bench.ts';
