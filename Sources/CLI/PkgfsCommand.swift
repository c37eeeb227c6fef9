import ArgumentParser

@main
struct PkgfsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pkgfs",
        abstract: "A package repository you mount: upload with cp, browse with ls, read meta.json.",
        discussion: """
            Mount a store, then:
              cp t-oceanbase-ocp-agent-3.1.2-20210812221645.alios7.x86_64.rpm MNT/incoming/
              ls MNT/OCP_AGENT_INSTALL_PACKAGE/alios7/x86_64/3.1.2/
              jq .sha1 MNT/OCP_AGENT_INSTALL_PACKAGE/alios7/x86_64/latest/*/meta.json
            A package is parsed, hashed and visible the moment cp returns.
            Over HTTP (OCP and Astra APIs): pkgfs serve, or pkgfs mount --http 127.0.0.1:8080.
            """,
        version: PkgfsCommand.version,
        subcommands: [MountCommand.self, UnmountCommand.self, CheckCommand.self, ServeCommand.self,
                      GenerateCommand.self])

    /// What `pkgfs --version` prints and a mount logs; raised with each release.
    static let version = "0.1.0"
}
