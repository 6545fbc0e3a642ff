module github.com/aiobs/aiobs/bindings/go

go 1.24
