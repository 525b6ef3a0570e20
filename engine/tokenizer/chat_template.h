#pragma once
// Chat templates: a list of {role, content} messages -> the prompt text a chat model
// was trained on. Models publish their template as Jinja (tokenizer_config.json's
// chat_template, GGUF tokenizer.chat_template). Pareto does not interpret Jinja: it
// recognises the family from the template's text and renders it with a C++
// transcription of that family's published template, line for line:
//
//   deepseek-r1  DeepSeek-R1 and its distills (Qwen, Llama): <｜User｜>/<｜Assistant｜>,
//                the system prompt first, reasoning (up to the last </think>) dropped
//                from earlier assistant turns; the generation prompt opens <think>
//                in the current template. Also llama.cpp's variant of it, which ends
//                user turns with <｜end▁of▁sentence｜>.
//   chatml       <|im_start|>role\ncontent<|im_end|>\n (Qwen2, Qwen2.5), with the
//                template's default system prompt when the conversation has none;
//                Qwen2.5's tool results grouped into one user turn.
//   llama2       [INST] ... [/INST] with <<SYS>> in the first user turn.
//   llama3       <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>, and the
//                Llama 3.1+ system header (knowledge cutoff, today's date).
//
// Literal text after the template's last tag is kept (rendered as HuggingFace does,
// with trim_blocks). Tool calls and tool definitions are not supported.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pareto {

class Tokenizer;

struct ChatMessage {
    std::string role;  // "system", "user", "assistant" (Qwen2.5, Llama 3.1: also "tool")
    std::string content;
};

enum class ChatFamily { DeepSeekR1, ChatML, Llama2, Llama3 };

class ChatTemplate {
public:
    // Recognises a Jinja template's family. Throws pareto::Error for a template of
    // none of the families above, naming the families Pareto renders.
    static ChatTemplate from_jinja(std::string_view source, std::string bos_text = "", std::string eos_text = "");
    // A family by name, for models that publish no template: "deepseek-r1", "chatml",
    // "qwen2.5" (ChatML with Qwen's default system prompt), "llama2", "llama3".
    static ChatTemplate named(std::string_view name, std::string bos_text = "", std::string eos_text = "");
    // The model's own template (tokenizer.chat_template()) with its BOS/EOS texts;
    // throws when the model has none or it is not recognised.
    static ChatTemplate for_tokenizer(const Tokenizer& tok);
    static std::string known_names();  // "deepseek-r1, chatml, qwen2.5, llama2, llama3"

    // The prompt for `messages`; with add_generation_prompt, ending where the
    // assistant's reply starts. Throws pareto::Error for what the template refuses
    // (Llama 2: roles that do not alternate user/assistant).
    std::string apply(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;

    ChatFamily family() const { return family_; }
    std::string description() const;  // "deepseek-r1 (<think> in the generation prompt)"

    // Llama 3.1+: the "Today Date" line. Default: today when the template asks for
    // strftime_now (Llama 3.2, 3.3), else the template's own "26 Jul 2024".
    void set_date(std::string date) { date_ = std::move(date); }

private:
    ChatTemplate() = default;
    std::string render_deepseek(const std::vector<ChatMessage>& m, bool gen) const;
    std::string render_chatml(const std::vector<ChatMessage>& m, bool gen) const;
    std::string render_llama2(const std::vector<ChatMessage>& m) const;
    std::string render_llama3(const std::vector<ChatMessage>& m, bool gen) const;

    ChatFamily family_ = ChatFamily::ChatML;
    std::string bos_, eos_;
    std::string trailing_;                  // literal text after the last tag
    // deepseek-r1
    bool think_in_prompt_ = false;          // generation prompt "<｜Assistant｜><think>\n"
    bool user_end_of_sentence_ = false;     // llama.cpp's variant
    // chatml
    std::optional<std::string> default_system_;
    bool qwen_tools_ = false;               // Qwen2.5: tool results as <tool_response> in a user turn
    // llama3
    bool llama31_header_ = false;           // "Cutting Knowledge Date" system header
    bool date_from_clock_ = false;
    std::string date_;
};

}  // namespace pareto
