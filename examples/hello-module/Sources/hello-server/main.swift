import GreetingModule
import ZeroDTServe

// The whole zerodt-serve command line (serve, check, …) with the built-in modules plus ours.
await ZeroDTServe.main(modules: [GreetingModule.self])
