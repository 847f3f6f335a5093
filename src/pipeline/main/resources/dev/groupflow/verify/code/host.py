# groupflow code verifier: the program's side of the assert-test protocol (docs/code-verifier.md).
#
# This file runs in the UNTRUSTED process: it executes the program as module "solution", then answers the harness's
# requests (call, getattr, iterate, ...) with plain data, or a reference for anything else. The program can rewrite
# any of this; the harness trusts none of it: it decodes answers into plain built-in values only.
import base64
import builtins
import json
import math
import os
import sys
import traceback
import types


class Host:
    def __init__(self, rfd, wfd):
        self.rin = os.fdopen(rfd, "rb")
        self.wout = os.fdopen(wfd, "wb")
        self.objects = {}
        self.next_id = 1

    def send(self, message):
        self.wout.write((json.dumps(message, separators=(",", ":"), allow_nan=True) + "\n").encode("utf-8"))
        self.wout.flush()

    def ref(self, obj):
        rid = self.next_id
        self.next_id += 1
        self.objects[rid] = obj
        return ["r", rid]

    def enc(self, x, depth=0):
        if depth > 100:
            raise ValueError("value nested too deeply")
        t = type(x)
        if x is None or t is bool or t is str:
            return x
        if t is int:
            return x if -(1 << 53) < x < (1 << 53) else ["i", format(x, "x")]
        if t is float:
            return x if math.isfinite(x) else ["F", repr(x)]
        if isinstance(x, bool):
            return bool(x)
        if isinstance(x, int):
            return self.enc(int.__index__(x))
        if isinstance(x, float):
            return self.enc(float.__float__(x))
        if isinstance(x, str):
            return str.__str__(x)
        if isinstance(x, complex):
            return ["c", [self.enc(float(x.real)), self.enc(float(x.imag))]]
        if isinstance(x, bytes):
            return ["b", base64.b64encode(bytes(x)).decode("ascii")]
        if isinstance(x, bytearray):
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
        name = type(x).__name__
        if name == "bool_":  # numpy.bool_
            return bool(x)
        if hasattr(type(x), "__index__") and not isinstance(x, type):  # numpy integers
            try:
                return self.enc(int(x.__index__()))
            except Exception:  # noqa: BLE001
                pass
        return self.ref(x)

    def dec(self, v):
        t = type(v)
        if v is None or t in (bool, str, int, float):
            return v
        tag, body = v
        if tag == "l":
            return [self.dec(e) for e in body]
        if tag == "t":
            return tuple(self.dec(e) for e in body)
        if tag == "d":
            return {self.dec(k): self.dec(val) for k, val in body}
        if tag == "s":
            return {self.dec(e) for e in body}
        if tag == "f":
            return frozenset(self.dec(e) for e in body)
        if tag == "i":
            return int(body, 16)
        if tag == "F":
            return float(body)
        if tag == "c":
            return complex(self.dec(body[0]), self.dec(body[1]))
        if tag == "b":
            return base64.b64decode(body)
        if tag == "B":
            return bytearray(base64.b64decode(body))
        if tag == "R":
            return range(*body)
        if tag == "r":
            return self.objects[body]
        raise ValueError("bad value")

    def mutations(self, args, kwargs):
        out = []
        for i, a in enumerate(args):
            if type(a) in (list, dict, set, bytearray):
                out.append([i, self.enc(a)])
        for k, a in kwargs.items():
            if type(a) in (list, dict, set, bytearray):
                out.append([k, self.enc(a)])
        return out

    def handle(self, req):
        op = req[0]
        target = self.dec(req[1])
        if op == "call":
            args = [self.dec(a) for a in req[2]]
            kwargs = {k: self.dec(v) for k, v in req[3]}
            result = target(*args, **kwargs)
            return {"ok": self.enc(result), "mut": self.mutations(args, kwargs)}
        rest = [self.dec(a) for a in req[2:]]
        if op == "getattr":
            return {"ok": self.enc(getattr(target, rest[0]))}
        if op == "setattr":
            setattr(target, rest[0], rest[1])
            return {"ok": None}
        if op == "getitem":
            return {"ok": self.enc(target[rest[0]])}
        if op == "setitem":
            target[rest[0]] = rest[1]
            return {"ok": None}
        if op == "len":
            return {"ok": len(target)}
        if op == "contains":
            return {"ok": rest[0] in target}
        if op == "bool":
            return {"ok": bool(target)}
        if op == "int":
            return {"ok": self.enc(int(target))}
        if op == "index":
            return {"ok": self.enc(target.__index__())}
        if op == "float":
            return {"ok": self.enc(float(target))}
        if op == "str":
            return {"ok": str(target)}
        if op == "repr":
            return {"ok": repr(target)[:10000]}
        if op == "iter":
            return {"ok": self.ref(iter(target))}
        if op == "next":
            try:
                return {"ok": self.enc(next(target))}
            except StopIteration:
                return {"stop": True}
        if op == "next_batch":
            items = []
            done = False
            for _ in range(rest[0]):
                try:
                    items.append(self.enc(next(target)))
                except StopIteration:
                    done = True
                    break
            return {"ok": ["l", [["l", items], done]]}
        raise ValueError("unknown operation %r" % (op,))

    def serve(self):
        while True:
            line = self.rin.readline()
            if not line:
                return
            try:
                answer = self.handle(json.loads(line))
            except BaseException as e:  # noqa: BLE001 - reported to the harness, which decides
                if isinstance(e, (KeyboardInterrupt, SystemExit, GeneratorExit)):
                    names = [type(e).__name__]
                else:
                    names = [c.__name__ for c in type(e).__mro__]
                answer = {"err": names, "msg": str(e)[:1000]}
            self.send(answer)


def main():
    program, rfd, wfd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    host = Host(rfd, wfd)
    sys.argv = [program]
    sys.path[0] = os.path.dirname(program)
    module = types.ModuleType("solution")
    module.__file__ = program
    module.__builtins__ = builtins
    sys.modules["solution"] = module
    try:
        with open(program, encoding="utf-8", errors="replace") as f:
            source = f.read()
        exec(compile(source, program, "exec"), module.__dict__)
    except BaseException as e:  # noqa: BLE001
        text = "".join(traceback.format_exception_only(type(e), e)).strip()
        host.send({"load_error": text[-1000:]})
        os._exit(3)
    exports = []
    for name, value in list(module.__dict__.items()):
        if name.startswith("__"):
            continue
        if isinstance(value, types.ModuleType):
            exports.append([name, ["M", value.__name__]])
            continue
        try:
            exports.append([name, host.enc(value)])
        except Exception:  # noqa: BLE001
            exports.append([name, host.ref(value)])
    host.send({"ready": exports})
    host.serve()
    os._exit(0)


if __name__ == "__main__":
    main()
