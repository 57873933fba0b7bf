/// The kind of listener a connection arrived on; it decides what Admin calls are allowed without a token.
public enum Transport: String, Sendable, Hashable {
    case unix
    case tcp
}
