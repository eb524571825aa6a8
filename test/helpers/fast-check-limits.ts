// Loaded before every test file (see package.json's test script): a failing property shrinks
// for at most 30 s, then reports its smallest counterexample so far with the seed and
// path that replay it, instead of holding the suite until CI's time runs out.
import fc from 'fast-check';

fc.configureGlobal({ interruptAfterTimeLimit: 30_000, markInterruptAsFailure: true });
