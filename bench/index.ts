// Benchmarks land with the benchmark issue; this placeholder keeps `npm run bench` defined.
console.log('no benchmarks yet')
