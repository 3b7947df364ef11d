import Foundation

/// Time taken at two input sizes, for tests that a walk over crafted input is linear or N log N:
/// at 8× the size it may take at most ~16× the time (a quadratic walk takes 64×).
public enum Scaling {
    /// Seconds per run of `body`, repeated until 20 ms have passed; the best of three such rounds.
    public static func seconds(_ body: () -> Void) -> Double {
        var best = Double.infinity
        for _ in 0..<3 {
            var runs = 0
            let start = ContinuousClock.now
            var elapsed = Duration.zero
            repeat {
                body()
                runs += 1
                elapsed = ContinuousClock.now - start
            } while elapsed < .milliseconds(20)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            best = min(best, seconds / Double(runs))
        }
        return best
    }

    /// How much longer `run` takes on `make(factor * n)` than on `make(n)` (inputs built outside the timing).
    /// A ratio past 1.5 × `factor` is measured again, up to three times, and the least kept: a host
    /// stall during one measurement (tests run in parallel on two cores) must not read as super-linear,
    /// while a super-linear walk (64× at 8×) stays far past the bound every time.
    public static func ratio<Input>(_ n: Int, factor: Int = 8, make: (Int) -> Input, run: (Input) -> Void) -> Double {
        let small = make(n), large = make(factor * n)
        var least = Double.infinity
        for _ in 0..<3 {
            let t1 = seconds { run(small) }, t8 = seconds { run(large) }
            least = min(least, t8 / t1)
            if least <= 1.5 * Double(factor) { break }
        }
        return least
    }
}
