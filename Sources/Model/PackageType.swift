/// OCP's software-package types, plus Astra bundles and everything else.
public enum PackageType {
    public static let obServer = "OB_SERVER_INSTALL_PACKAGE"
    public static let ocpAgent = "OCP_AGENT_INSTALL_PACKAGE"
    public static let obproxy = "OBPROXY_INSTALL_PACKAGE"
    public static let obBackupAgent = "OB_BACKUP_AGENT_INSTALL_PACKAGE"
    public static let astra = "ASTRA_PACKAGE"
    public static let generic = "GENERIC_PACKAGE"
}
