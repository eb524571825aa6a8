// `vaurien/rxjs`: the RxJS vaurien itself runs, for plugins. A plugin that imports its operators
// from here gets the very instance the engine uses (so `identity` is recognised as the free pass
// and Observables are of one kind), wherever the plugin file lies.
export * from 'rxjs';
