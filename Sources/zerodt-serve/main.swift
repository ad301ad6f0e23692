import ZeroDTServe

ZeroDTServe.main()
