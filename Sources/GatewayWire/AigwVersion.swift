/// The release of this build, reported by ServerInfo, the handshake and `--version`.
public enum AigwVersion {
    public static let current = "0.1.0"
}
