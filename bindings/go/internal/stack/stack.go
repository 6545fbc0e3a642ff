// Package stack walks the calling goroutine's stack cheaply, for the callsite of every recorded
// call and span. runtime.Callers symbolises inlining and frame sizes for every frame it passes,
// about 60 ns a frame; on amd64 and arm64 Go keeps a frame pointer in every frame, so there the
// return addresses are read from the chain of frame pointers, a few nanoseconds each, as the Go
// runtime's execution tracer reads them.
//
// Walk calls visit with the return address of each frame of the calling goroutine, innermost
// first, starting in Walk's caller, until visit returns false, the goroutine's first frame, or
// max frames. Each address is a return PC as runtime.Callers gives them: runtime.CallersFrames
// turns one into the frames it stands for (several when calls were inlined).
//
// visit must return false at a frame of runtime.cgocallback, runtime.cgocallbackg or
// runtime.cgocallbackg1: below them (a Go function called from C) lie C frames, which may have
// no frame pointer to follow. The walk cannot tell by itself, because telling costs the
// symbolisation it avoids; a caller caches that per PC.
package stack
