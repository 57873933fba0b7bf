import CGatewayShims

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A dedicated OS thread that can be joined, so shutting a client down returns only once its thread has released
/// everything (Foundation's `Thread` cannot be joined).
final class JoinableThread: @unchecked Sendable {
    private final class Body {
        let name: String
        let run: () -> Void

        init(name: String, run: @escaping () -> Void) {
            self.name = name
            self.run = run
        }
    }

    private let handle: pthread_t

    /// Starts `body` on a new thread called `name` (truncated to 15 bytes on Linux).
    init?(name: String, body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Body(name: name, run: body)).toOpaque()
        #if canImport(Darwin)
        var handle: pthread_t?
        let result = pthread_create(
            &handle,
            nil,
            { raw in
                let body = Unmanaged<Body>.fromOpaque(raw).takeRetainedValue()
                _ = CGatewayThread_set_name(body.name)
                body.run()
                return nil
            },
            context
        )
        guard result == 0, let handle else {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
        #else
        var handle = pthread_t()
        let result = pthread_create(
            &handle,
            nil,
            { raw in
                let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
                _ = CGatewayThread_set_name(body.name)
                body.run()
                return nil
            },
            context
        )
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
        #endif
        self.handle = handle
    }

    /// Whether the caller is running on this thread (which must not join itself).
    var isCurrent: Bool {
        pthread_equal(pthread_self(), handle) != 0
    }

    /// Waits for the thread to finish. Call at most once.
    func join() {
        _ = pthread_join(handle, nil)
    }
}
