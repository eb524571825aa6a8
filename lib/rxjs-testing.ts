// `vaurien/rxjs/testing`: RxJS's TestScheduler from the RxJS vaurien runs, so a plugin's marble
// tests exercise its operators with the same instance the proxy will.
export * from 'rxjs/testing';
