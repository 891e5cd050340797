// The exec guard: see execguard.go.
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

// guard_word is the guarded thread's clear_child_tid: the kernel writes 0
// to it and wakes its futex when that thread exits (set_tid_address(2)).
static volatile uint32_t guard_word;
static int guard_status;

static void *guard_main(void *arg)
{
	uint32_t tid = (uint32_t)(uintptr_t)arg;

	while (__atomic_load_n(&guard_word, __ATOMIC_SEQ_CST) == tid)
		syscall(SYS_futex, &guard_word, FUTEX_WAIT, tid, NULL, NULL, 0);
	syscall(SYS_exit_group, guard_status);
	return NULL;
}

int gc_execguard_start(int status)
{
	pthread_attr_t attr;
	pthread_t th;
	sigset_t all, old;
	uint32_t tid = (uint32_t)syscall(SYS_gettid);
	int err;

	guard_word = tid;
	guard_status = status;
	syscall(SYS_set_tid_address, &guard_word);
	if (pthread_attr_init(&attr) != 0)
		return -1;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	// The guard takes no signal: they stay the Go runtime's.
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&th, &attr, guard_main, (void *)(uintptr_t)tid);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return err == 0 ? 0 : -1;
}
