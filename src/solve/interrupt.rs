//! A wall-clock deadline that HiGHS checks from inside its simplex, interior-point and
//! branch-and-bound loops.
//!
//! HiGHS's own `time_limit` is read between phases, so one long root LP or round of cuts can
//! run far past it. A callback armed with [`arm`] asks HiGHS to stop (model status
//! "interrupted", read as a limit) as soon as one of those loops runs past the deadline.

use highs_sys::{
    Highs_setCallback, Highs_startCallback, HighsCallbackDataIn, HighsCallbackDataOut,
    kHighsCallbackIpmInterrupt, kHighsCallbackMipInterrupt, kHighsCallbackSimplexInterrupt,
};
use std::ffi::{c_char, c_int, c_void};
use std::time::Instant;

/// Called by HiGHS at its interrupt points: interrupts once `deadline` (an `Instant`) passed.
unsafe extern "C" fn interrupt_after(
    _kind: c_int,
    _message: *const c_char,
    _out: *const HighsCallbackDataOut,
    into: *mut HighsCallbackDataIn,
    deadline: *mut c_void,
) {
    // SAFETY: `deadline` is the `Instant` given to `arm`, alive for the whole run; `into` is
    // HiGHS's own input block for this call, when it passes one.
    unsafe {
        let deadline = &*(deadline as *const Instant);
        if !into.is_null() && Instant::now() >= *deadline {
            (*into).user_interrupt = 1;
        }
    }
}

/// Arms the interrupt of the HiGHS instance `highs` at `deadline`.
///
/// # Safety
/// `highs` must be a live HiGHS instance, and `deadline` must outlive every run of it.
pub unsafe fn arm(highs: *mut c_void, deadline: &Instant) {
    // SAFETY: as the caller promises; the callback only reads the deadline.
    unsafe {
        Highs_setCallback(
            highs,
            Some(interrupt_after),
            deadline as *const Instant as *mut c_void,
        );
        for kind in [
            kHighsCallbackSimplexInterrupt,
            kHighsCallbackIpmInterrupt,
            kHighsCallbackMipInterrupt,
        ] {
            Highs_startCallback(highs, kind);
        }
    }
}
