//! Deaths that libFuzzer would not see in the plain (`--no-asan`) build, made into findings
//! with their input saved, as the AddressSanitizer build reports them:
//! - an allocation bomb: one allocation over [`MAX_ALLOCATION`] aborts at once (AddressSanitizer's
//!   `malloc_limit_mb`), instead of the kernel's OOM killer ending the process without a word
//!   before libFuzzer's once-a-second RSS check sees it;
//! - a stack overflow: without a sanitizer nothing gives the main thread an alternate signal
//!   stack, so libFuzzer's SIGSEGV handler cannot run on the overflowed stack and the kernel kills
//!   the process silently. [`report_deaths`] gives it one; the handler then aborts, and libFuzzer's
//!   SIGABRT handler writes the input.

use std::alloc::{GlobalAlloc, Layout, System};

/// The largest single allocation (bytes) before the process aborts: tests/fuzz's
/// `MALLOC_LIMIT_MB`.
pub const MAX_ALLOCATION: usize = 1024 * 1024 * 1024;

/// The system allocator, refusing allocations over [`MAX_ALLOCATION`] by aborting.
pub struct Bounded;

// SAFETY: every call goes to `System` unchanged; the only addition is an abort before it.
unsafe impl GlobalAlloc for Bounded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        System.realloc(ptr, layout, new_size)
    }
}

fn check(size: usize) {
    if size > MAX_ALLOCATION {
        say(b"==quickstep-fuzz== ERROR: an allocation over the 1 GB limit (allocation bomb)\n");
        std::process::abort();
    }
}

/// Writes to stderr without allocating (the allocator and signal handlers call it).
fn say(message: &[u8]) {
    // SAFETY: writing a valid buffer to fd 2.
    unsafe {
        libc::write(2, message.as_ptr().cast(), message.len());
    }
}

/// Size of the alternate signal stack: room for libFuzzer's crash reporting.
const ALT_STACK: usize = 1024 * 1024;

/// Gives the main thread an alternate signal stack and a SIGSEGV handler that runs on it and
/// aborts, unless a sanitizer already handles SIGSEGV. Call it from `fuzz_target!`'s `init`,
/// which libFuzzer runs before it installs its own handlers (it keeps ours as the upstream one,
/// and keeps SA_ONSTACK).
pub fn report_deaths() {
    // SAFETY: plain libc calls on zeroed structs; the stack is leaked so it lives for ever.
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGSEGV, std::ptr::null(), &mut current) != 0
            || current.sa_sigaction != libc::SIG_DFL
        {
            return;
        }
        let stack = Box::leak(vec![0_u8; ALT_STACK].into_boxed_slice());
        let alt = libc::stack_t {
            ss_sp: stack.as_mut_ptr().cast(),
            ss_flags: 0,
            ss_size: ALT_STACK,
        };
        if libc::sigaltstack(&alt, std::ptr::null_mut()) != 0 {
            return;
        }
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_segv as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGSEGV, &action, std::ptr::null_mut());
    }
}

extern "C" fn on_segv(_: libc::c_int, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    say(b"==quickstep-fuzz== ERROR: SIGSEGV (a stack overflow, the code has no unsafe)\n");
    // SAFETY: abort is async-signal-safe.
    unsafe { libc::abort() }
}
