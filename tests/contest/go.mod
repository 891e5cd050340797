module github.com/gocontainer/gocontainer/tests/contest

go 1.26
