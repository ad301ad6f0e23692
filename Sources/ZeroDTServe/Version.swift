extension ZeroDTServe {
    /// The version of this build, as `zerodt-serve --version` prints it. The one place it
    /// is written: bump it when tagging a release.
    public static let version = "0.1.0"

    /// `version`, plus "(debug build)" for a debug build, which is much slower and carries
    /// the test knobs (`ZERODT_TEST_STARTUP_FAULT`).
    static var versionDescription: String {
        #if DEBUG
        return version + " (debug build)"
        #else
        return version
        #endif
    }
}
