//go:build amd64 || arm64

package stack

import "unsafe"

// framePointer returns the frame pointer of its caller's frame (implemented in assembly). In
// that frame, the word at the frame pointer is the caller's caller's frame pointer and the next
// word is the address the caller returns to.
func framePointer() unsafe.Pointer

// Walk: see the package documentation. It must not be inlined: its own frame is where the walk
// starts.
//
//go:noinline
func Walk(max int, visit func(pc uintptr) bool) {
	// fp is an unsafe.Pointer, not a uintptr, so that it is adjusted if visit grows the stack.
	fp := framePointer()
	for depth := 0; fp != nil && depth < max; depth++ {
		if !visit(*(*uintptr)(unsafe.Add(fp, unsafe.Sizeof(uintptr(0))))) {
			return
		}
		fp = *(*unsafe.Pointer)(fp)
	}
}
