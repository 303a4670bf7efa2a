// Runs blocking work (libcurl requests) on threads of its own: Dispatch's global queue keeps about
// as many threads busy as there are cores, so on 2 cores `--parallel 16` had 2-4 requests in flight.
import Glibc

public enum Workers {
    /// Calls `body(0)`, …, `body(count - 1)`, each on a new thread, and returns when all have returned.
    public static func run(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        var threads: [pthread_t] = []
        threads.reserveCapacity(count)
        for index in 0..<count {
            let job = Unmanaged.passRetained(Job { body(index) }).toOpaque()
            var thread = pthread_t()
            let started = pthread_create(
                &thread, nil,
                { raw in
                    let job = Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue()
                    job.work()
                    return nil
                }, job)
            if started == 0 {
                threads.append(thread)
            } else {
                // No thread to be had: do the work here rather than not at all.
                Unmanaged<Job>.fromOpaque(job).takeRetainedValue().work()
            }
        }
        for thread in threads { pthread_join(thread, nil) }
    }

    private final class Job: @unchecked Sendable {
        let work: () -> Void
        init(_ work: @escaping () -> Void) { self.work = work }
    }
}
