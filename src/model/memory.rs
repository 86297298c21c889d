//! Handing freed heap back to the operating system after a large fixture is loaded.
//!
//! Loading a fixture builds its JSON value, the model, and the model written back out (to find
//! unknown keys): at 100,000 agents several hundred MB, freed right after. glibc's allocator keeps
//! freed memory inside its arenas, so without a trim the process would stay that large for its
//! whole life. `malloc_trim` returns the free pages; elsewhere this is a no-op.

/// Returns freed heap pages to the system (glibc only).
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers
        // from us and is safe to call at any time from any thread.
        unsafe {
            malloc_trim(0);
        }
    }
}
