#pragma once
// A Tokenizer written as HuggingFace tokenizer files, so that a model converted from
// GGUF (pareto-cli convert) opens in HuggingFace tokenizers/transformers and reads
// back into the same Tokenizer (Tokenizer::from_hf_dir).
//   - byte-level BPE: ByteLevel with the family's Split regexes, vocab, and the merges
//     that can apply (a merge whose parts or result are not tokens is dropped);
//   - SentencePiece ("llama"): Llama's HuggingFace form, BPE with byte_fallback and a
//     U+2581 normalizer; SentencePiece's scores become the merge order (for each token,
//     best score first, every split of it into two tokens), as HuggingFace converts it.
// Throws pareto::Error for what the format cannot hold (a token text used twice,
// text that is not UTF-8).
#include <cstdint>
#include <string>

#include "tokenizer/tokenizer.h"

namespace pareto {

std::string hf_tokenizer_json(const Tokenizer& tok);
// model_max_length: the context the model was trained with (0: not written).
std::string hf_tokenizer_config_json(const Tokenizer& tok, int64_t model_max_length);

}  // namespace pareto
