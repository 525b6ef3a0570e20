#include "profiler/isolated_call.h"

#include <execinfo.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <ucontext.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string_view>
#include <vector>

// Set by the sanitizer runtimes; absent (null) in a normal build.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

#if defined(__SANITIZE_ADDRESS__)
#define PARETO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PARETO_ASAN 1
#endif
#endif

namespace pareto::prof {
namespace {

constexpr size_t kMaxCapture = 64 << 10;
constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitOrphan = 125;
constexpr std::chrono::seconds kAbortGrace{2};

void write_all(int fd, std::string_view s) {
    while (!s.empty()) {
        const ssize_t n = ::write(fd, s.data(), s.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        s.remove_prefix(static_cast<size_t>(n));
    }
}

// The instruction the signal interrupted.
void* interrupted_pc(void* ucontext) {
    const auto* uc = static_cast<const ucontext_t*>(ucontext);
#if defined(__x86_64__)
    return reinterpret_cast<void*>(uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
    return reinterpret_cast<void*>(uc->uc_mcontext.pc);
#else
    (void)uc;
    return nullptr;
#endif
}

// In the child: a fatal signal writes a backtrace to stderr (the parent's pipe), so
// the parent can tell where the crash was, then dies of the same signal. The stack
// starts at the interrupted instruction: the frames above it (this handler, the
// signal trampoline, a sanitizer's backtrace interceptor) are not the crash's.
void crash_handler(int sig, siginfo_t*, void* ucontext) {
    char line[64];
    const int n = std::snprintf(line, sizeof line, "isolated child: signal %d\n", sig);
    write_all(2, std::string_view(line, n > 0 ? static_cast<size_t>(n) : 0));
    void* pc = interrupted_pc(ucontext);
    void* frames[64];
    const int depth = ::backtrace(frames, 64);
    int from = 0;
    while (from < depth && frames[from] != pc) ++from;
    if (pc) ::backtrace_symbols_fd(&pc, 1, 2);
    if (from < depth) {
        ::backtrace_symbols_fd(frames + from + 1, depth - from - 1, 2);
    } else {
        // Not unwound through the signal frame: the rest is the handler's own stack,
        // after a line that ends the crash's stack for crash_site().
        write_all(2, "isolated child: the stack above the signal is not known\n");
    }
    ::signal(sig, SIG_DFL);
    ::raise(sig);  // blocked until the handler returns, then fatal
}

alignas(16) char g_alt_stack[64 << 10];

void install_crash_handlers() {
    stack_t ss{};
    ss.ss_sp = g_alt_stack;
    ss.ss_size = sizeof g_alt_stack;
    ::sigaltstack(&ss, nullptr);  // a stack overflow must still reach the handler
    struct sigaction sa{};
    sa.sa_sigaction = crash_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    // Under AddressSanitizer its own SEGV/BUS/FPE report is kept: it names the frame
    // better. SIGABRT and SIGILL are replaced in every build: libFuzzer's handlers
    // would save the parent's input as a crash from inside the child.
#ifdef PARETO_ASAN
    const int sigs[] = {SIGABRT, SIGILL};
#else
    const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGILL};
#endif
    for (const int s : sigs) ::sigaction(s, &sa, nullptr);
}

[[noreturn]] void child_main(const std::function<void()>& work, int msg_fd, int err_fd, pid_t parent) {
    // Dies with the parent (a killed CLI or GUI leaves no reader behind).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(kExitOrphan);
    ::dup2(err_fd, 2);
    // A sanitizer report ends the child, not the fuzzer: libFuzzer's death callback
    // would save the input as a crash of the parent.
    if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(nullptr);
    install_crash_handlers();
    int code = kExitOk;
    try {
        work();
    } catch (const Error& e) {
        const std::string_view what = e.what();
        write_all(msg_fd, what.empty() ? std::string_view("(no message)") : what);
        code = kExitError;
    } catch (const std::exception& e) {
        // The parent would have seen this escape; here it is a crash. Without the
        // catch it would unwind into the parent's copied frames (a test runner's
        // catch-all) and go on running the parent's program.
        write_all(2, std::string("isolated child: uncaught exception: ") + e.what() + "\n");
        std::abort();
    } catch (...) {
        write_all(2, "isolated child: uncaught exception of an unknown type\n");
        std::abort();
    }
    ::_exit(code);
}

struct PipeReader {
    int fd = -1;
    std::string data;
    // Reads what is there without blocking; closes at end of file or error.
    void drain() {
        char buf[4096];
        while (fd >= 0) {
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n > 0) {
                const size_t keep = std::min(static_cast<size_t>(n), kMaxCapture - std::min(kMaxCapture, data.size()));
                data.append(buf, keep);
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
            ::close(fd);
            fd = -1;
        }
    }
    ~PipeReader() {
        if (fd >= 0) ::close(fd);
    }
};

pid_t wait_for(pid_t pid, int* status, int flags) {
    for (;;) {
        const pid_t r = ::waitpid(pid, status, flags);
        if (r >= 0 || errno != EINTR) return r;
    }
}

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
    (void)pid;
    return -1;
#endif
}

}  // namespace

std::string signal_name(int sig) {
    switch (sig) {
        case SIGSEGV: return "SIGSEGV";
        case SIGBUS: return "SIGBUS";
        case SIGFPE: return "SIGFPE";
        case SIGILL: return "SIGILL";
        case SIGABRT: return "SIGABRT";
        case SIGKILL: return "SIGKILL";
        case SIGTERM: return "SIGTERM";
        case SIGTRAP: return "SIGTRAP";
        case SIGSYS: return "SIGSYS";
        case SIGXCPU: return "SIGXCPU";
        case SIGXFSZ: return "SIGXFSZ";
        case SIGPIPE: return "SIGPIPE";
        default: return "signal " + std::to_string(sig);
    }
}

ChildOutcome run_in_child(const std::function<void()>& work, std::chrono::milliseconds timeout) {
    // backtrace() loads libgcc_s on first use; the child must not dlopen (a lock
    // another thread held at fork would never be released there).
    static const bool warmed = [] {
        void* f[2];
        return ::backtrace(f, 2) > 0;
    }();
    (void)warmed;

    int msg[2], err[2];
    if (::pipe2(msg, O_CLOEXEC) != 0) fail(std::string("cannot create a pipe: ") + std::strerror(errno));
    if (::pipe2(err, O_CLOEXEC) != 0) {
        const int e = errno;
        ::close(msg[0]);
        ::close(msg[1]);
        fail(std::string("cannot create a pipe: ") + std::strerror(e));
    }
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(msg[0]);
        ::close(err[0]);
        child_main(work, msg[1], err[1], parent);
    }
    const int fork_errno = errno;
    ::close(msg[1]);
    ::close(err[1]);
    PipeReader out{msg[0], {}}, diag{err[0], {}};
    if (pid < 0) fail(std::string("cannot start a process: ") + std::strerror(fork_errno));
    ::fcntl(out.fd, F_SETFL, O_NONBLOCK);
    ::fcntl(diag.fd, F_SETFL, O_NONBLOCK);
    // Wakes poll() when the child exits (Linux 5.3+); without it, poll in short steps.
    const int pidfd = open_pidfd(pid);

    using Clock = std::chrono::steady_clock;
    auto deadline = Clock::now() + timeout;
    int status = 0;
    bool timed_out = false, reaped = false;
    for (;;) {
        const pid_t r = wait_for(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) {
            reaped = r == pid;
            break;
        }
        const auto now = Clock::now();
        if (now >= deadline && timed_out) {
            ::kill(pid, SIGKILL);
            reaped = wait_for(pid, &status, 0) == pid;
            break;
        }
        if (now >= deadline) {
            // SIGABRT first: the child's handler writes where it hung. Then a grace
            // period for that, then SIGKILL.
            ::kill(pid, SIGABRT);
            timed_out = true;
            deadline = now + kAbortGrace;
            continue;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
        pollfd fds[3];
        nfds_t n = 0;
        if (out.fd >= 0) fds[n++] = {out.fd, POLLIN, 0};
        if (diag.fd >= 0) fds[n++] = {diag.fd, POLLIN, 0};
        if (pidfd >= 0) fds[n++] = {pidfd, POLLIN, 0};
        // Pipes reach end of file when the child exits, unless another fork of this
        // process (another thread) holds a copy: then the short step bounds the wait.
        const long step = pidfd >= 0 ? left : (out.fd >= 0 || diag.fd >= 0) ? std::min(left, 50L) : std::min(left, 2L);
        if (::poll(fds, n, static_cast<int>(step)) < 0 && errno != EINTR) ::usleep(1000);
        out.drain();
        diag.drain();
    }
    if (pidfd >= 0) ::close(pidfd);
    out.drain();
    diag.drain();

    ChildOutcome o;
    o.report = std::move(diag.data);
    if (timed_out) {
        o.kind = ChildOutcome::Kind::TimedOut;
    } else if (!reaped) {
        // SIGCHLD ignored by the process: the status is lost; only a message tells.
        o.kind = out.data.empty() ? ChildOutcome::Kind::Crashed : ChildOutcome::Kind::Error;
        o.message = std::move(out.data);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == kExitOk) {
        o.kind = ChildOutcome::Kind::Ok;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == kExitError && !out.data.empty()) {
        o.kind = ChildOutcome::Kind::Error;
        o.message = std::move(out.data);
    } else if (WIFSIGNALED(status)) {
        o.kind = ChildOutcome::Kind::Crashed;
        o.signal = WTERMSIG(status);
    } else {
        // A sanitizer's report exits with status 1 and no message.
        o.kind = ChildOutcome::Kind::Crashed;
        o.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    return o;
}

namespace {

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

// A frame of a sanitizer's stack ("    #3 0x55d0 in f file.cpp:1") or of
// backtrace_symbols_fd ("/lib/libx.so(f+0x10)[0x7f00]").
bool is_frame(std::string_view line) {
    const size_t p = line.find_first_not_of(" \t");
    if (p != std::string_view::npos && line[p] == '#' && contains(line, " 0x")) return true;
    return (contains(line, ")[0x") || contains(line, ") [0x")) && line.back() == ']';
}

bool is_runtime_or_system(std::string_view frame) {
    static constexpr std::string_view parts[] = {
        "__asan_", "__interceptor_", "__sanitizer_", "__ubsan_", "__lsan_", "__tsan_", "libclang_rt", "compiler-rt",
        "/libc.so", "/libc-", "/libm.so", "libstdc++", "libgcc_s", "/libz.so", "/libsz.so", "/libaec.so",
        "ld-linux", "linux-vdso", "libpthread"};
    return std::any_of(std::begin(parts), std::end(parts), [&](std::string_view p) { return contains(frame, p); });
}

}  // namespace

CrashSite crash_site(const std::string& report, const std::string& library, std::string* frame) {
    std::vector<std::string_view> lines;
    std::string_view rest = report;
    while (!rest.empty()) {
        const size_t nl = rest.find('\n');
        lines.push_back(rest.substr(0, nl));
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    }
    for (const std::string_view line : lines)
        if (contains(line, "runtime error:")) {  // UBSan instruments Pareto's code only
            if (frame) *frame = line;
            return CrashSite::Other;
        }
    bool in_stack = false;
    for (const std::string_view line : lines) {
        if (!is_frame(line)) {
            if (in_stack) break;  // the first stack only: later ones are allocation sites
            continue;
        }
        in_stack = true;
        if (contains(line, library)) {
            if (frame) *frame = line;
            return CrashSite::Library;
        }
        if (is_runtime_or_system(line)) continue;
        if (frame) *frame = line;
        return CrashSite::Other;
    }
    return CrashSite::Unknown;
}

}  // namespace pareto::prof
