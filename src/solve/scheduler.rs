//! HiGHS's task scheduler, shared by every solve of the process.
//!
//! HiGHS keeps one process-wide scheduler, sized by the `threads` option of the first solve
//! that starts it, and refuses a later solve that asks for another count ("run failed").
//! [`with_threads`] lets solves ask for any count in any order: solves with the scheduler's
//! count run side by side; a solve with another count waits until no solve runs, resets the
//! scheduler and runs with it to itself, so the next solves start a scheduler of its count.

use std::sync::{PoisonError, RwLock};

/// The thread count the scheduler was started with (`None` before any solve).
static SCHEDULER: RwLock<Option<i32>> = RwLock::new(None);

/// Runs `solve` (a HiGHS run with option `threads`) once the scheduler has that count.
pub fn with_threads<T>(threads: i32, solve: impl FnOnce() -> T) -> T {
    {
        let started = SCHEDULER.read().unwrap_or_else(PoisonError::into_inner);
        if *started == Some(threads) {
            return solve();
        }
    }
    let mut started = SCHEDULER.write().unwrap_or_else(PoisonError::into_inner);
    if started.is_some_and(|count| count != threads) {
        // SAFETY: no HiGHS run is under way (they all hold the lock), so the scheduler's
        // workers are idle; blocking waits for them to stop.
        unsafe { highs_sys::Highs_resetGlobalScheduler(1) };
    }
    *started = Some(threads);
    solve()
}

#[cfg(test)]
mod tests {
    use crate::solve::Budget;
    use crate::solve::milp::{MilpModel, MilpStatus};
    use good_lp::variable;

    /// max 3x + 2y  s.t.  x + y ≤ 4,  x + 3y ≤ 6,  x ≤ 3,  x, y integer: 11 at (3, 1).
    fn solve_on(threads: usize) -> f64 {
        let mut m = MilpModel::default();
        let x = m.add(variable().integer().min(0).max(3));
        let y = m.add(variable().integer().min(0));
        m.constrain((x + y).leq(4));
        m.constrain((x + 3 * y).leq(6));
        let budget = Budget {
            threads,
            ..Budget::default()
        };
        let s = m
            .maximise(3 * x + 2 * y, &budget, &[])
            .unwrap_or_else(|e| panic!("{threads} threads: {e}"));
        assert_eq!(s.status, MilpStatus::Optimal, "{threads} threads");
        s.objective
    }

    #[test]
    fn any_thread_count_in_any_order() {
        for threads in [1, 2, 1, 3, 2] {
            assert_eq!(solve_on(threads), 11.0);
        }
        let counts = [1, 2, 2, 1, 3, 1];
        let objectives: Vec<f64> = std::thread::scope(|scope| {
            let handles: Vec<_> = counts
                .iter()
                .map(|&t| scope.spawn(move || solve_on(t)))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(objectives, vec![11.0; counts.len()]);
    }
}
