//! Byte buffers and string views that cross the boundary.

use std::marker::PhantomData;

/// A borrowed byte slice, valid only for the duration of the call it is passed to.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct BytesRef<'a> {
    pub ptr: *const u8,
    pub len: usize,
    _marker: PhantomData<&'a [u8]>,
}

impl<'a> BytesRef<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { ptr: bytes.as_ptr(), len: bytes.len(), _marker: PhantomData }
    }

    /// The bytes.
    ///
    /// # Safety
    /// `ptr` and `len` must describe a live byte slice (as [`BytesRef::new`] makes).
    pub unsafe fn as_slice(&self) -> &'a [u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: upheld by the caller.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// A `'static` UTF-8 string, as descriptors hold their name and version.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct StrRef {
    pub ptr: *const u8,
    pub len: usize,
}

// SAFETY: a StrRef only ever points at immutable 'static data.
unsafe impl Send for StrRef {}
// SAFETY: as above.
unsafe impl Sync for StrRef {}

impl StrRef {
    pub const fn from_static(text: &'static str) -> Self {
        Self { ptr: text.as_ptr(), len: text.len() }
    }

    /// The string, with invalid UTF-8 replaced.
    ///
    /// # Safety
    /// Must have been made by [`StrRef::from_static`] in a library that is still loaded.
    pub unsafe fn to_string_lossy(&self) -> String {
        if self.len == 0 {
            return String::new();
        }
        // SAFETY: upheld by the caller.
        let bytes = unsafe { std::slice::from_raw_parts(self.ptr, self.len) };
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// A heap buffer handed from one side to the other. The receiver reads it and then drops it; dropping calls
/// `free`, which runs the allocating side's own deallocator (the two sides may have different allocators).
#[repr(C)]
pub struct OwnedBuffer {
    ptr: *mut u8,
    len: usize,
    capacity: usize,
    free: unsafe extern "C" fn(ptr: *mut u8, len: usize, capacity: usize),
}

// SAFETY: the buffer owns its bytes exclusively; the free function is a plain function.
unsafe impl Send for OwnedBuffer {}

impl OwnedBuffer {
    /// Hands over `bytes`; the buffer remembers this side's deallocator.
    pub fn from_vec(bytes: Vec<u8>) -> Self {
        let mut bytes = std::mem::ManuallyDrop::new(bytes);
        Self { ptr: bytes.as_mut_ptr(), len: bytes.len(), capacity: bytes.capacity(), free: free_vec }
    }

    /// An empty buffer.
    pub fn empty() -> Self {
        Self::from_vec(Vec::new())
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: ptr/len come from a Vec that this buffer owns until drop.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for OwnedBuffer {
    fn drop(&mut self) {
        // SAFETY: `free` belongs to the side that made the Vec, and runs exactly once.
        unsafe { (self.free)(self.ptr, self.len, self.capacity) }
    }
}

unsafe extern "C" fn free_vec(ptr: *mut u8, len: usize, capacity: usize) {
    // SAFETY: called once, with the parts of a Vec this same library leaked in `from_vec`.
    drop(unsafe { Vec::from_raw_parts(ptr, len, capacity) });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_buffers_keep_their_bytes_until_dropped() {
        let buffer = OwnedBuffer::from_vec(b"hello".to_vec());
        assert_eq!(buffer.as_slice(), b"hello");
        assert_eq!(OwnedBuffer::empty().as_slice(), b"");
    }

    #[test]
    fn str_refs_read_back() {
        let text = StrRef::from_static("echo");
        // SAFETY: made from a 'static str just above.
        assert_eq!(unsafe { text.to_string_lossy() }, "echo");
    }
}
