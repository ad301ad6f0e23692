import ZeroDTServe

await ZeroDTServe.main()
