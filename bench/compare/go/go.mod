module github.com/aiobs/aiobs/bench/compare/go

go 1.24

require github.com/aiobs/aiobs/bindings/go v0.0.0

replace github.com/aiobs/aiobs/bindings/go => ../../../bindings/go
