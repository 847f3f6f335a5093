"""Eager-PyTorch reference for `groupflow bench realsize`: the throughput a plain PyTorch loop reaches on a real-size
Hugging Face decoder (Qwen2 / Llama / Qwen3 layout read from config.json; weights random, they do not change the
speed), the way shared/reference/decoder_bench.py measures the small benchmark shapes.

Prints one JSON line per measurement:
  sample_kv_cache: B prompts of P random tokens, N new tokens each with a KV cache (no end of sequence), multinomial
                   sampling from the softmax; tokens/s = B * N / seconds (one timed run after a warm-up)
  train_step:      forward over B sequences of L tokens, log-softmax over the full vocabulary, a weighted mean of the
                   next-token log-probabilities, backward, torch.optim.AdamW over the trained parameters (all of them,
                   or with --lora R the rank-R adapters of every projection, the base frozen);
                   tokens/s = B * (L - 1) / seconds (mean of the timed steps after a warm-up)

Usage: python3 realsize_ref.py MODEL_DIR WHAT THREADS B P N L [--lora R] [--repeats K]
  WHAT: sample | train | both
"""
import json, math, sys, time
import torch
import torch.nn.functional as F


class Decoder(torch.nn.Module):
    def __init__(self, c, lora):
        super().__init__()
        E, H, KV, I = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"], c["intermediate_size"]
        self.H, self.KV, self.D = H, KV, c.get("head_dim") or E // H
        self.eps = c["rms_norm_eps"]
        bias = c["model_type"] == "qwen2" or c.get("attention_bias", False)
        self.emb = torch.nn.Embedding(c["vocab_size"], E)
        self.layers = torch.nn.ModuleList()
        for _ in range(c["num_hidden_layers"]):
            m = torch.nn.Module()
            m.n1, m.n2 = torch.nn.Parameter(torch.ones(E)), torch.nn.Parameter(torch.ones(E))
            m.q = torch.nn.Linear(E, H * self.D, bias=bias)
            m.k = torch.nn.Linear(E, KV * self.D, bias=bias)
            m.v = torch.nn.Linear(E, KV * self.D, bias=bias)
            m.o = torch.nn.Linear(H * self.D, E, bias=False)
            m.g = torch.nn.Linear(E, I, bias=False)
            m.u = torch.nn.Linear(E, I, bias=False)
            m.d = torch.nn.Linear(I, E, bias=False)
            self.layers.append(m)
        self.norm = torch.nn.Parameter(torch.ones(E))
        self.tied = c.get("tie_word_embeddings", False)
        self.head = None if self.tied else torch.nn.Linear(E, c["vocab_size"], bias=False)
        inv = 1.0 / (c["rope_theta"] ** (torch.arange(0, self.D, 2).float() / self.D))
        f = torch.outer(torch.arange(4096).float(), inv)
        e = torch.cat((f, f), -1)
        self.cos, self.sin = e.cos(), e.sin()
        self.lora = {}
        if lora:
            for p in self.parameters():
                p.requires_grad_(False)
            for i, m in enumerate(self.layers):
                for name in "qkvogud":
                    lin = getattr(m, name)
                    a = torch.nn.Parameter((torch.rand(lora, lin.in_features) * 2 - 1) / math.sqrt(lin.in_features))
                    b = torch.nn.Parameter(torch.zeros(lin.out_features, lora))
                    self.register_parameter(f"lora_{i}_{name}_a", a)
                    self.register_parameter(f"lora_{i}_{name}_b", b)
                    self.lora[(i, name)] = (a, b)
        self.scaling = 32.0 / lora if lora else 0.0

    def proj(self, i, m, name, x):
        y = getattr(m, name)(x)
        ab = self.lora.get((i, name))
        return y if ab is None else y + self.scaling * ((x @ ab[0].T) @ ab[1].T)

    def rms(self, x, w):
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))

    @staticmethod
    def rot(x):
        h = x.shape[-1] // 2
        return torch.cat((-x[..., h:], x[..., :h]), -1)

    def forward(self, ids, start=0, cache=None):
        B, T = ids.shape
        H, KV, D = self.H, self.KV, self.D
        x = self.emb(ids)
        cos, sin = self.cos[start:start + T][None, None], self.sin[start:start + T][None, None]
        new_cache = []
        for i, m in enumerate(self.layers):
            h = self.rms(x, m.n1)
            q = self.proj(i, m, "q", h).view(B, T, H, D).transpose(1, 2)
            k = self.proj(i, m, "k", h).view(B, T, KV, D).transpose(1, 2)
            v = self.proj(i, m, "v", h).view(B, T, KV, D).transpose(1, 2)
            q, k = q * cos + self.rot(q) * sin, k * cos + self.rot(k) * sin
            if cache is not None:
                k, v = torch.cat([cache[i][0], k], 2), torch.cat([cache[i][1], v], 2)
            new_cache.append((k, v))
            kk, vv = k.repeat_interleave(H // KV, 1), v.repeat_interleave(H // KV, 1)
            a = (q @ kk.transpose(2, 3)) / math.sqrt(D)
            if T > 1:
                S = kk.shape[2]
                a = a + torch.full((T, S), float("-inf")).triu(S - T + 1)
            a = (torch.softmax(a, -1) @ vv).transpose(1, 2).reshape(B, T, H * D)
            x = x + self.proj(i, m, "o", a)
            h = self.rms(x, m.n2)
            x = x + self.proj(i, m, "d", F.silu(self.proj(i, m, "g", h)) * self.proj(i, m, "u", h))
        x = self.rms(x, self.norm)
        return (x @ self.emb.weight.T if self.tied else self.head(x)), new_cache


def main():
    args = sys.argv[1:]
    lora = int(args[args.index("--lora") + 1]) if "--lora" in args else 0
    repeats = int(args[args.index("--repeats") + 1]) if "--repeats" in args else 2
    model_dir, what, threads, B, P, N, L = args[0], args[1], int(args[2]), *map(int, args[3:7])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    with open(model_dir + "/config.json") as f:
        c = json.load(f)
    model = Decoder(c, lora)
    params = sum(p.numel() for p in model.parameters())
    V = c["vocab_size"]
    head = {"model": model_dir, "params": params, "threads": threads, "torch": torch.__version__}
    if what in ("sample", "both"):
        prompts = torch.randint(0, V, (B, P))

        def sample():
            with torch.no_grad():
                logits, cache = model(prompts)
                tok = torch.multinomial(torch.softmax(logits[:, -1], -1), 1)
                for t in range(N - 1):
                    logits, cache = model(tok, P + t, cache)
                    tok = torch.multinomial(torch.softmax(logits[:, -1], -1), 1)

        sample()
        t0 = time.perf_counter()
        sample()
        dt = time.perf_counter() - t0
        print(json.dumps(dict(head, what="sample_kv_cache", batch=B, prompt=P, new_tokens=N,
                              tokens_per_s=round(B * N / dt, 2), seconds=round(dt, 3))), flush=True)
    if what in ("train", "both"):
        trained = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(trained, lr=1e-5)
        seqs = torch.randint(0, V, (B, L))
        weights = torch.randn(B, 1)

        def train_step():
            logits, _ = model(seqs[:, :-1])
            logp = torch.log_softmax(logits, -1).gather(-1, seqs[:, 1:].unsqueeze(-1)).squeeze(-1)
            loss = -(logp * weights).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()

        train_step()
        runs = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            train_step()
            runs.append(time.perf_counter() - t0)
        dt = sum(runs) / len(runs)
        print(json.dumps(dict(head, what="train_step", batch=B, seq_len=L, lora=lora,
                              trained=sum(p.numel() for p in trained),
                              tokens_per_s=round(B * (L - 1) / dt, 2), seconds=round(dt, 3),
                              runs_s=[round(r, 3) for r in runs])), flush=True)


if __name__ == "__main__":
    main()
