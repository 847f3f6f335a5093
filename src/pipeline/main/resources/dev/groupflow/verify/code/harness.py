# groupflow code verifier: the TRUSTED harness (threat model: docs/code-verifier.md).
#
# Started by the JVM as the sandbox's main process (pid 2 of a fresh pid namespace under bubblewrap). It reads one
# JSON request from stdin (the per-run secret key, the program, the tests), makes itself non-dumpable, and runs the
# untrusted program ONLY in child processes:
#   stdio   - one fresh interpreter per test, fed the test's input; its stdout goes back to the JVM, which compares
#             it with the expected output (the expected outputs never enter the sandbox);
#   asserts - one "host" interpreter (host.py) executes the program and serves calls over a pipe; the test code runs
#             HERE, against proxies, and only plain data (None, bool, int, float, complex, str, bytes, tuple, list,
#             dict, set) crosses back, so the program can neither see the tests nor change how they compare.
# Every record the JVM accepts is a JSON line followed by HMAC-SHA256(key, line); the key lives only in the JVM and
# in this process's memory, which processes of the same uid cannot read (PR_SET_DUMPABLE 0).
import os
import sys


def _die(message):
    try:
        os.write(2, ("groupflow-harness: " + message + "\n").encode("utf-8", "replace"))
    finally:
        os._exit(70)


try:
    import ctypes

    _libc = ctypes.CDLL(None, use_errno=True)
    _libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    # PR_SET_DUMPABLE = 4, PR_GET_DUMPABLE = 3: no ptrace, /proc/<pid>/{mem,fd,environ,maps} for other processes
    if _libc.prctl(4, 0, 0, 0, 0) != 0 or _libc.prctl(3, 0, 0, 0, 0) != 0:
        _die("cannot make the harness non-dumpable")
except Exception as e:  # noqa: BLE001 - anything here means the secret could leak
    _die("cannot make the harness non-dumpable: %r" % (e,))

import ast  # noqa: E402
import base64  # noqa: E402
import builtins  # noqa: E402
import hmac  # noqa: E402
import json  # noqa: E402
import keyword  # noqa: E402
import math  # noqa: E402
import resource  # noqa: E402
import selectors  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402

# Signals the program could send us (as init of the namespace we only receive those we handle): ignored, and
# restored to default in the program's processes. SIGALRM (our statement timer) can only make a test fail.
_IGNORED = [s for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
                        signal.SIGUSR2, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU, signal.SIGXCPU,
                        signal.SIGXFSZ, signal.SIGVTALRM, signal.SIGPROF)]
HOST_PY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "host.py")
MAX_MESSAGE = 16 << 20  # one RPC answer from the program's process
TAIL = 2048  # stderr kept for details


class _Stop(BaseException):
    """Ends a test statement whatever the test code catches: time limit, output limit, program gone, bad protocol."""


class _Timeout(_Stop):
    pass


class RemoteError(Exception):
    """An exception raised by the program that is not one of Python's built-in exception classes."""


# ---------------------------------------------------------------------------------------------------------------
# the channel to the JVM


class Channel:
    def __init__(self, fd, key):
        self.fd = fd
        self.key = key

    def emit(self, record):
        line = json.dumps(record, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
        mac = hmac.new(self.key, line.encode("ascii"), "sha256").hexdigest()
        data = (line + " " + mac + "\n").encode("ascii")
        while data:
            n = os.write(self.fd, data)
            data = data[n:]


def _read_all(fd):
    chunks = []
    while True:
        b = os.read(fd, 1 << 16)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


# ---------------------------------------------------------------------------------------------------------------
# child processes


class Runner:
    def __init__(self, req):
        self.python = req["python"]
        self.work = req["work"]
        self.cpu = int(req["cpu_seconds"])
        self.test_timeout = float(req["test_timeout"])
        self.output_cap = int(req["output_cap"])
        # kill(-1) is only safe as init of our own pid namespace (bwrap --as-pid-1), where it reaches the program's
        # processes and nothing else
        self.pidns = bool(req["sandboxed"]) and os.getpid() == 1
        self.prog_dir = os.path.join(self.work, "prog")
        self.run_dir = os.path.join(self.work, "run")
        os.makedirs(self.prog_dir, exist_ok=True)
        os.makedirs(self.run_dir, exist_ok=True)
        self.program = os.path.join(self.prog_dir, "solution.py")
        with open(self.program, "w", encoding="utf-8") as f:
            f.write(req["program"])

    def _limits(self):
        for sig in _IGNORED:
            signal.signal(sig, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_CPU, (self.cpu, self.cpu + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    def spawn(self, argv, stdin, pass_fds=()):
        return subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=self.run_dir, env=dict(os.environ), close_fds=True, pass_fds=pass_fds,
                                start_new_session=True, preexec_fn=self._limits)

    def kill_all(self, proc):
        """Kills the program's process and everything it started (daemons included, in our pid namespace)."""
        if self.pidns:
            try:
                os.kill(-1, signal.SIGKILL)  # everything in the namespace but this process (its init)
            except ProcessLookupError:
                pass
        else:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            proc.kill()
        except ProcessLookupError:
            pass
        proc.wait()
        if self.pidns:
            reap_all()


def reap_all():
    """As init, every process left in the namespace is our child (orphans are re-parented to us): kill and reap
    until none is left, so a process forked while kill(-1) ran cannot survive."""
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


class Pump:
    """Reads a child's stdout and stderr without blocking and within the output cap; notices the child's exit."""

    def __init__(self, proc, cap, keep_stdout):
        self.proc = proc
        self.cap = cap
        self.keep_stdout = keep_stdout
        self.out = bytearray()
        self.err = bytearray()
        self.total = 0
        self.over = False
        self.sel = selectors.DefaultSelector()
        self.streams = set()
        for stream in (proc.stdout, proc.stderr):
            os.set_blocking(stream.fileno(), False)
            self.sel.register(stream.fileno(), selectors.EVENT_READ, stream)
            self.streams.add(stream.fileno())
        self.pidfd = None
        try:
            self.pidfd = os.pidfd_open(proc.pid)
            self.sel.register(self.pidfd, selectors.EVENT_READ, "exit")
        except (AttributeError, OSError):
            pass

    def add(self, fd, events, tag):
        self.sel.register(fd, events, tag)

    def remove(self, fd):
        try:
            self.sel.unregister(fd)
        except (KeyError, ValueError):
            pass

    def exited(self):
        return self.proc.poll() is not None

    def streams_open(self):
        return bool(self.streams)

    def step(self, timeout):
        """One wait of at most timeout seconds; returns the tags (other than the streams) that became ready."""
        if self.pidfd is None:
            timeout = 0.01 if timeout is None else min(timeout, 0.01)
        ready = []
        for key, _ in self.sel.select(timeout):
            data = key.data
            if data == "exit":
                self.remove(self.pidfd)
                ready.append("exit")
            elif hasattr(data, "fileno"):
                try:
                    b = os.read(key.fd, 1 << 16)
                except BlockingIOError:
                    continue
                if not b:
                    self.remove(key.fd)
                    self.streams.discard(key.fd)
                    continue
                self.total += len(b)
                if self.total > self.cap:
                    self.over = True
                if data is self.proc.stdout and self.keep_stdout:
                    self.out += b[: max(0, self.cap - len(self.out))]
                elif data is self.proc.stderr:
                    self.err += b
                    del self.err[:-TAIL]
            else:
                ready.append(data)
        return ready

    def drain(self, seconds):
        """After every writer is dead: read what is left (EOF comes at once; the limit guards unsandboxed runs)."""
        end = time.monotonic() + seconds
        while self.streams_open() and not self.over:
            left = end - time.monotonic()
            if left <= 0:
                break
            self.step(left)

    def close(self):
        self.sel.close()
        if self.pidfd is not None:
            os.close(self.pidfd)
        for s in (self.proc.stdout, self.proc.stderr, self.proc.stdin):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass

    def err_text(self):
        return self.err.decode("utf-8", "replace")


# ---------------------------------------------------------------------------------------------------------------
# stdin/stdout tests


def run_stdio(req, runner, chan):
    inputs = req["inputs"]
    argv = [runner.python, "-s", runner.program]
    for i, text in enumerate(inputs):
        data = text.encode("utf-8")
        proc = runner.spawn(argv, subprocess.PIPE)
        pump = Pump(proc, runner.output_cap, keep_stdout=True)
        pending = memoryview(data)
        stdin_fd = proc.stdin.fileno()
        if pending:
            os.set_blocking(stdin_fd, False)
            pump.add(stdin_fd, selectors.EVENT_WRITE, "stdin")
        else:
            proc.stdin.close()
        deadline = time.monotonic() + runner.test_timeout
        status = None
        while status is None:
            if pump.over:
                status = "output-limit"
                break
            if pump.exited():
                break
            left = deadline - time.monotonic()
            if left <= 0:
                status = "timeout"
                break
            for tag in pump.step(left):
                if tag == "stdin":
                    try:
                        n = os.write(stdin_fd, pending[:1 << 16])
                        pending = pending[n:]
                    except BrokenPipeError:
                        pending = pending[:0]
                    if not pending:
                        pump.remove(stdin_fd)
                        proc.stdin.close()
        runner.kill_all(proc)
        pump.drain(1.0)
        if status is None and pump.over:
            status = "output-limit"
        code = proc.returncode
        if status is None:
            status = "ok" if code == 0 else ("signal" if code < 0 else "exit")
        pump.close()
        chan.emit({"k": "test", "i": i, "status": status, "code": code,
                   "out": base64.b64encode(bytes(pump.out)).decode("ascii"),
                   "err": pump.err_text()[-TAIL:]})
        if status != "ok":
            break
    chan.emit({"k": "done", "n": len(inputs)})


# ---------------------------------------------------------------------------------------------------------------
# assert tests: the program runs in host.py's process, the tests here, plain data in between

_SAFE_EXCEPTIONS = {name: cls for name, cls in vars(builtins).items()
                    if isinstance(cls, type) and issubclass(cls, Exception)
                    and cls not in (StopIteration, StopAsyncIteration)}
_SHADOW = frozenset(dir(builtins))
_NO_IMPORT = frozenset({"antigravity", "this", "turtle", "turtledemo", "tkinter", "idlelib", "__main__",
                        "webbrowser", "pydoc", "site", "test", "ensurepip", "venv"})
_MODULE_ALIASES = frozenset({"np", "numpy", "pd", "pandas", "sp", "scipy", "plt", "torch", "tf", "nx"})
_DUNDER_OK = frozenset({"__name__", "__qualname__", "__doc__"})


class Remote:
    """A value that lives in the program's process. Equality is identity: the program never decides a comparison."""

    __slots__ = ("_gf_rpc", "_gf_id", "__weakref__")

    def __init__(self, rpc, rid):
        object.__setattr__(self, "_gf_rpc", rpc)
        object.__setattr__(self, "_gf_id", rid)

    def __call__(self, *args, **kwargs):
        return self._gf_rpc.call(self, args, kwargs)

    def __getattr__(self, name):
        if name.startswith("__") and name not in _DUNDER_OK:
            raise AttributeError(name)
        v = self._gf_rpc.op("getattr", self, name)
        if name in _DUNDER_OK and not (v is None or type(v) is str):
            raise AttributeError(name)
        return v

    def __setattr__(self, name, value):
        if name.startswith("_"):
            raise AttributeError(name)
        self._gf_rpc.op("setattr", self, name, value)

    def __getitem__(self, key):
        return self._gf_rpc.op("getitem", self, key)

    def __setitem__(self, key, value):
        self._gf_rpc.op("setitem", self, key, value)

    def __len__(self):
        return _typed(self._gf_rpc.op("len", self), int)

    def __contains__(self, item):
        return _typed(self._gf_rpc.op("contains", self, item), bool)

    def __bool__(self):
        return _typed(self._gf_rpc.op("bool", self), bool)

    def __int__(self):
        return _typed(self._gf_rpc.op("int", self), int)

    def __index__(self):
        return _typed(self._gf_rpc.op("index", self), int)

    def __float__(self):
        return _typed(self._gf_rpc.op("float", self), float)

    def __str__(self):
        return _typed(self._gf_rpc.op("str", self), str)

    def __repr__(self):
        try:
            return _typed(self._gf_rpc.op("repr", self), str)
        except Exception:  # noqa: BLE001
            return "<program object %d>" % self._gf_id

    def __iter__(self):
        return _RemoteIterator(self._gf_rpc, self._gf_rpc.op("iter", self))

    def __next__(self):
        return self._gf_rpc.op("next", self)

    def __eq__(self, other):
        return self is other

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __ne__(self, other):
        return self is not other

    def __hash__(self):
        return hash(("groupflow-remote", self._gf_id))


class _RemoteIterator:
    def __init__(self, rpc, it):
        self.rpc = rpc
        self.it = it
        self.buffer = []
        self.done = False

    def __iter__(self):
        return self

    def __next__(self):
        if not self.buffer and not self.done:
            items, self.done = self.rpc.op("next_batch", self.it, 256)
            self.buffer = list(reversed(_typed(items, list)))
        if self.buffer:
            return self.buffer.pop()
        raise StopIteration


def _typed(v, t):
    if type(v) is not t:
        raise TypeError("the program answered %s where %s was expected" % (type(v).__name__, t.__name__))
    return v


class Rpc:
    def __init__(self, runner, chan):
        self.runner = runner
        req_r, self.req_w = os.pipe()
        self.resp_r, resp_w = os.pipe()
        argv = [runner.python, "-s", HOST_PY, runner.program, str(req_r), str(resp_w)]
        self.proc = runner.spawn(argv, subprocess.DEVNULL, pass_fds=(req_r, resp_w))
        os.close(req_r)
        os.close(resp_w)
        self.pump = Pump(self.proc, runner.output_cap, keep_stdout=False)
        os.set_blocking(self.resp_r, False)
        self.pump.add(self.resp_r, selectors.EVENT_READ, "resp")
        self.buf = bytearray()
        self.refs = {}
        self.dead = False

    # -- transport

    def _send(self, message):
        data = (json.dumps(message, separators=(",", ":"), allow_nan=True) + "\n").encode("utf-8")
        try:
            view = memoryview(data)
            while view:
                n = os.write(self.req_w, view)
                view = view[n:]
        except BrokenPipeError:
            raise _Stop("the program's process is gone") from None

    def _receive(self):
        while True:
            nl = self.buf.find(b"\n")
            if nl >= 0:
                line = bytes(self.buf[:nl])
                del self.buf[: nl + 1]
                try:
                    return json.loads(line)
                except (ValueError, RecursionError):
                    raise _Stop("the program's process answered garbage") from None
            if len(self.buf) > MAX_MESSAGE:
                raise _Stop("an answer from the program exceeds %d bytes" % MAX_MESSAGE)
            if self.pump.over:
                raise _Stop("output limit exceeded")
            if self.dead:
                raise _Stop("the program's process exited" + self._why())
            for tag in self.pump.step(None):
                if tag == "resp":
                    try:
                        b = os.read(self.resp_r, 1 << 16)
                    except BlockingIOError:
                        continue
                    if not b:
                        self.pump.remove(self.resp_r)
                        self.dead = True
                    self.buf += b
                elif tag == "exit":
                    # read what it wrote before exiting, then give up
                    try:
                        while True:
                            b = os.read(self.resp_r, 1 << 16)
                            if not b:
                                break
                            self.buf += b
                    except BlockingIOError:
                        pass
                    self.dead = True
            if self.pump.pidfd is None and self.pump.exited():
                self.dead = True

    def _why(self):
        code = self.proc.poll()
        tail = self.pump.err_text().strip().splitlines()
        return ("" if code is None else " (code %s)" % code) + (": " + tail[-1][:300] if tail else "")

    # -- values

    def enc(self, x, depth=0):
        if depth > 100:
            raise ValueError("value nested too deeply to pass to the program")
        t = type(x)
        if x is None or t is bool or t is str:
            return x
        if t is int:
            return x if -(1 << 53) < x < (1 << 53) else ["i", format(x, "x")]
        if t is float:
            return x if math.isfinite(x) else ["F", repr(x)]
        if t is Remote:
            return ["r", x._gf_id]
        if t is complex:
            return ["c", [self.enc(x.real), self.enc(x.imag)]]
        if t is bytes:
            return ["b", base64.b64encode(x).decode("ascii")]
        if t is bytearray:
            return ["B", base64.b64encode(bytes(x)).decode("ascii")]
        if isinstance(x, tuple):
            return ["t", [self.enc(e, depth + 1) for e in x]]
        if isinstance(x, list):
            return ["l", [self.enc(e, depth + 1) for e in x]]
        if isinstance(x, dict):
            return ["d", [[self.enc(k, depth + 1), self.enc(v, depth + 1)] for k, v in x.items()]]
        if isinstance(x, frozenset):
            return ["f", [self.enc(e, depth + 1) for e in x]]
        if isinstance(x, set):
            return ["s", [self.enc(e, depth + 1) for e in x]]
        if isinstance(x, range):
            return ["R", [x.start, x.stop, x.step]]
        raise TypeError("cannot pass a %s to the program (only plain data crosses the sandbox)" % t.__name__)

    def dec(self, v):
        t = type(v)
        if v is None or t is bool or t is str or t is int or t is float:
            return v
        if t is not list or len(v) != 2 or type(v[0]) is not str:
            raise _Stop("malformed value from the program")
        tag, body = v
        if tag == "l":
            return [self.dec(e) for e in _typed(body, list)]
        if tag == "t":
            return tuple(self.dec(e) for e in _typed(body, list))
        if tag == "d":
            out = {}
            for pair in _typed(body, list):
                if type(pair) is not list or len(pair) != 2:
                    raise _Stop("malformed dict from the program")
                out[self.dec(pair[0])] = self.dec(pair[1])
            return out
        if tag == "s":
            return {self.dec(e) for e in _typed(body, list)}
        if tag == "f":
            return frozenset(self.dec(e) for e in _typed(body, list))
        if tag == "i":
            return int(_typed(body, str), 16)
        if tag == "F":
            f = float(_typed(body, str))
            return f
        if tag == "c":
            re_im = _typed(body, list)
            return complex(_typed(self.dec(re_im[0]), float), _typed(self.dec(re_im[1]), float))
        if tag == "b":
            return base64.b64decode(_typed(body, str), validate=True)
        if tag == "B":
            return bytearray(base64.b64decode(_typed(body, str), validate=True))
        if tag == "R":
            a, b, c = (_typed(e, int) for e in _typed(body, list))
            return range(a, b, c)
        if tag == "r":
            rid = _typed(body, int)
            r = self.refs.get(rid)
            if r is None:
                r = self.refs[rid] = Remote(self, rid)
            return r
        raise _Stop("malformed value from the program")

    def _answer(self, args=(), kwargs=None):
        a = self._receive()
        if type(a) is not dict:
            raise _Stop("malformed answer from the program")
        if "ok" in a:
            try:
                result = self.dec(a["ok"])
                # in-place changes to list/dict/set/bytearray arguments come back as plain data
                for pos, new in a.get("mut", []):
                    old = args[pos] if type(pos) is int and 0 <= pos < len(args) else \
                        (kwargs or {}).get(pos) if type(pos) is str else None
                    _apply_mutation(old, self.dec(new))
            except (TypeError, ValueError, RecursionError, KeyError, IndexError) as e:
                raise _Stop("malformed answer from the program: %s" % (e,)) from None
            return result
        if a.get("stop") is True:
            raise StopIteration
        if "err" in a:
            names = a.get("err") if type(a.get("err")) is list else []
            msg = a.get("msg") if type(a.get("msg")) is str else ""
            for name in names:
                cls = _SAFE_EXCEPTIONS.get(name) if type(name) is str else None
                if cls is not None:
                    raise cls(msg[:1000])
            raise RemoteError(msg[:1000])
        raise _Stop("malformed answer from the program")

    def op(self, name, target, *args):
        self._send([name, self.enc(target)] + [self.enc(a) for a in args])
        return self._answer()

    def call(self, target, args, kwargs):
        self._send(["call", self.enc(target), [self.enc(a) for a in args],
                    [[k, self.enc(v)] for k, v in kwargs.items()]])
        return self._answer(args, kwargs)

    def load(self):
        a = self._receive()
        if type(a) is not dict:
            raise _Stop("malformed answer from the program")
        if "load_error" in a:
            raise _Stop("the program failed to load: %s" % (str(a["load_error"])[:500],))
        names = a.get("ready")
        if type(names) is not list:
            raise _Stop("malformed answer from the program")
        exports = {}
        for entry in names[:100000]:
            if type(entry) is not list or len(entry) != 2 or type(entry[0]) is not str:
                continue
            name, value = entry
            # never let the program replace a builtin the tests use (len, sorted, abs, ...) or a dunder
            if not name.isidentifier() or keyword.iskeyword(name) or name in _SHADOW or name.startswith("__"):
                continue
            if type(value) is list and len(value) == 2 and value[0] == "M":
                mod = _system_module(value[1])
                if mod is not None:
                    exports[name] = mod
                continue
            if name in sys.stdlib_module_names or name in _MODULE_ALIASES:
                continue  # a program object posing as a module the tests may use without importing it
            exports[name] = self.dec(value)
        return exports

    def close(self):
        self.runner.kill_all(self.proc)
        self.pump.close()
        for fd in (self.req_w, self.resp_r):
            try:
                os.close(fd)
            except OSError:
                pass


def _apply_mutation(old, new):
    t = type(old)
    if t is not type(new):
        return
    if t is list or t is bytearray:
        old[:] = new
    elif t is dict or t is set:
        old.clear()
        old.update(new)


def _system_module(name):
    """A module the program imported: the tests get the system's own copy (never the program's object)."""
    if type(name) is not str or not all(p.isidentifier() for p in name.split(".")):
        return None
    top = name.split(".")[0]
    if top not in sys.stdlib_module_names or top in _NO_IMPORT:
        return None
    try:
        import importlib
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001
        return None


def _on_alarm(signum, frame):
    raise _Timeout("time limit")


def _describe(e):
    if isinstance(e, _Timeout):
        return "time limit exceeded"
    text = str(e)
    name = type(e).__name__ if not isinstance(e, _Stop) else ""
    out = (name + (": " if name and text else "") + text) or name
    return out[:500]


def run_asserts(req, runner, chan):
    try:
        tree = ast.parse(req["test_code"], "<tests>")
    except SyntaxError as e:
        chan.emit({"k": "error", "what": "test_code does not parse: %s" % (e,)})
        return
    statements = tree.body
    if not statements:
        chan.emit({"k": "error", "what": "test_code has no statements"})
        return
    signal.signal(signal.SIGALRM, _on_alarm)
    rpc = Rpc(runner, chan)
    g = {"__name__": "__main__", "__builtins__": builtins}
    first = 0
    try:
        try:
            signal.setitimer(signal.ITIMER_REAL, runner.test_timeout)
            try:
                exports = rpc.load()
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except BaseException as e:  # noqa: BLE001
            chan.emit({"k": "stmt", "i": 0, "ok": False, "line": statements[0].lineno,
                       "error": "the program did not load: " + _describe(e)})
            first = None
        if first is not None:
            module = types.ModuleType("solution")
            module.__dict__.update(exports)
            sys.modules["solution"] = module
            g.update(exports)
            for i, st in enumerate(statements):
                code = compile(ast.Module(body=[st], type_ignores=[]), "<tests>", "exec")
                try:
                    signal.setitimer(signal.ITIMER_REAL, runner.test_timeout)
                    try:
                        exec(code, g)
                    finally:
                        signal.setitimer(signal.ITIMER_REAL, 0)
                except BaseException as e:  # noqa: BLE001 - whatever it is, the statement did not pass
                    chan.emit({"k": "stmt", "i": i, "ok": False, "line": st.lineno, "error": _describe(e)})
                    break
                chan.emit({"k": "stmt", "i": i, "ok": True})
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        rpc.close()
    chan.emit({"k": "done", "n": len(statements)})


# ---------------------------------------------------------------------------------------------------------------
# self-test probe (run by the JVM at start-up)


def run_probe(req, runner, chan):
    report = {"k": "probe", "uid": os.getuid(), "pid": os.getpid()}
    try:
        report["ifaces"] = [n for _, n in socket.if_nameindex()]
    except OSError as e:
        report["ifaces"] = ["error: %s" % e]
    try:
        socket.create_connection(("192.0.2.1", 9), timeout=1).close()
        report["net"] = "connected"
    except OSError:
        report["net"] = "unreachable"
    report["read_only"] = []
    for d in (os.path.dirname(HOST_PY), "/", "/dev", "/usr"):
        try:
            with open(os.path.join(d, "groupflow-probe-write"), "w"):
                pass
        except OSError:
            report["read_only"].append(d)
    limit = int(req["memory"])
    try:
        block = bytearray(limit + (64 << 20))
        del block
        report["memory_limited"] = False
    except MemoryError:
        report["memory_limited"] = True
    forks = 0
    limited = False
    children = []
    if runner.pidns:
        try:
            for _ in range(int(req["max_procs"]) + 16):
                pid = os.fork()
                if pid == 0:
                    time.sleep(30)
                    os._exit(0)
                children.append(pid)
                forks += 1
        except OSError:
            limited = True
        finally:
            reap_all()
    report["forks"] = forks
    report["fork_limited"] = limited
    chan.emit(report)
    chan.emit({"k": "done", "n": 0})


# ---------------------------------------------------------------------------------------------------------------


def main():
    raw = _read_all(0)
    try:
        req = json.loads(raw)
        key = bytes.fromhex(req["nonce"])
    except (ValueError, KeyError, TypeError) as e:
        _die("bad request: %s" % (e,))
    del raw
    for sig in _IGNORED:
        signal.signal(sig, signal.SIG_IGN)
    if len(key) < 16:
        _die("the key is too short")
    # the channel to the JVM is a private descriptor; fds 0 and 1 become /dev/null for everything else
    chan = Channel(os.dup(1), key)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    sys.stdout = open(os.devnull, "w")
    runner = Runner(req)
    chan.emit({"k": "ready"})
    mode = req["mode"]
    if mode == "stdio":
        run_stdio(req, runner, chan)
    elif mode == "asserts":
        run_asserts(req, runner, chan)
    elif mode == "probe":
        run_probe(req, runner, chan)
    else:
        chan.emit({"k": "error", "what": "unknown mode %r" % (mode,)})
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
