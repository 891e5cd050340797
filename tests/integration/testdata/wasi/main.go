// Command wasi is the WASI preview 1 module the wasm tests run as a
// container (GOOS=wasip1 GOARCH=wasm go build). Its arguments are steps,
// done in order:
//
//	args        print "args=" and its argv, space separated
//	env KEY     print "KEY=value" ("KEY unset" when unset)
//	cat PATH    print "cat PATH: " and the file's content
//	pwd         print "pwd=" and the working directory
//	echo        copy stdin to stdout until EOF
//	sleep       print "sleeping" and sleep forever
//	exit N      exit with status N
package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

func main() {
	a := os.Args[1:]
	for len(a) > 0 {
		step := a[0]
		a = a[1:]
		arg := func() string {
			if len(a) == 0 {
				fmt.Fprintf(os.Stderr, "%s: missing argument\n", step)
				os.Exit(2)
			}
			v := a[0]
			a = a[1:]
			return v
		}
		switch step {
		case "args":
			fmt.Println("args=" + fmt.Sprint(os.Args))
		case "env":
			k := arg()
			if v, ok := os.LookupEnv(k); ok {
				fmt.Printf("%s=%s\n", k, v)
			} else {
				fmt.Printf("%s unset\n", k)
			}
		case "cat":
			p := arg()
			b, err := os.ReadFile(p)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			fmt.Printf("cat %s: %s\n", p, b)
		case "pwd":
			wd, err := os.Getwd()
			fmt.Println("pwd="+wd, err)
		case "echo":
			_, _ = io.Copy(os.Stdout, os.Stdin)
		case "sleep":
			fmt.Println("sleeping")
			for {
				time.Sleep(time.Hour)
			}
		case "exit":
			n, _ := strconv.Atoi(arg())
			os.Exit(n)
		default:
			fmt.Fprintf(os.Stderr, "unknown step %q\n", step)
			os.Exit(2)
		}
	}
}
