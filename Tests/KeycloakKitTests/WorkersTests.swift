// --parallel N keeps N blocking requests in flight: each worker gets a thread of its own, so 16
// workers all reach a barrier together however few cores there are (Dispatch's global queue ran
// about two at a time on 2 cores, and this barrier would never have filled).
import Glibc
import KeycloakKit
import Synchronization
import Testing

@Suite struct WorkersTests {
    @Test func sixteenBlockingWorkersRunAtOnce() {
        let arrived = Mutex(0)
        let released = Mutex(false)
        let mostAtOnce = Mutex(0)
        Workers.run(16) { _ in
            arrived.withLock { count in
                count += 1
                mostAtOnce.withLock { $0 = max($0, count) }
                if count == 16 { released.withLock { $0 = true } }
            }
            // Blocks like a request waiting for its answer; gives up after 10 s so a failure ends.
            for _ in 0..<10_000 where !released.withLock({ $0 }) { usleep(1_000) }
        }
        #expect(mostAtOnce.withLock { $0 } == 16)
        #expect(released.withLock { $0 })
    }

    @Test func everyIndexRunsExactlyOnce() {
        let seen = Mutex([Int]())
        Workers.run(5) { index in seen.withLock { $0.append(index) } }
        #expect(seen.withLock { $0.sorted() } == [0, 1, 2, 3, 4])
        Workers.run(0) { _ in Issue.record("no worker was asked for") }
    }
}
