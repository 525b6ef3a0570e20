#include "tokenizer/chat_template.h"

#include <algorithm>
#include <ctime>

#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace pareto {
namespace {

// DeepSeek's markers use U+FF5C (fullwidth vertical bar) and U+2581.
constexpr std::string_view kDsUser = "<\xEF\xBD\x9CUser\xEF\xBD\x9C>";
constexpr std::string_view kDsAssistant = "<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C>";
constexpr std::string_view kDsEndOfSentence = "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>";
constexpr std::string_view kQwenSystem = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

// The template without whitespace, so fragments match however they are laid out. A
// newline in a string literal may be written as the escape \n or (when the JSON it
// came from was decoded) as itself: both are dropped.
std::string squeeze(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '\\' && i + 1 < s.size() && s[i + 1] == 'n') {
            ++i;
            continue;
        }
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') out += c;
    }
    return out;
}

// Python's str.strip() / Jinja's trim, for ASCII whitespace.
std::string strip(std::string_view s) {
    const char* ws = " \t\n\r\f\v";
    const size_t b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return "";
    const size_t e = s.find_last_not_of(ws);
    return std::string(s.substr(b, e - b + 1));
}

// A Jinja string literal's escapes.
std::string unescape(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            const char n = s[++i];
            out += n == 'n' ? '\n' : n == 't' ? '\t' : n;
        } else {
            out += s[i];
        }
    }
    return out;
}

// ChatML's default system prompt: a literal '<|im_start|>system\n...<|im_end|>'.
std::optional<std::string> chatml_default_system(std::string_view src) {
    const std::string_view head = "<|im_start|>system";
    for (size_t at = src.find(head); at != std::string_view::npos; at = src.find(head, at + 1)) {
        size_t begin = at + head.size();
        if (src.substr(begin, 2) == "\\n") begin += 2;  // the escape, or a newline itself
        else if (src.substr(begin, 1) == "\n") begin += 1;
        else continue;
        const size_t end = src.find("<|im_end|>", begin);
        if (end == std::string_view::npos) break;
        const std::string_view text = src.substr(begin, end - begin);
        if (text.empty() || contains(text, "'") || contains(text, "\"") || contains(text, "{")) continue;
        return unescape(text);
    }
    return std::nullopt;
}

// Literal text after the template's last tag, as Jinja renders it with HuggingFace's
// settings: trim_blocks drops the newline after a block tag, "-" strips whitespace,
// and the template's final newline is not kept.
std::string trailing_text(std::string_view src) {
    size_t end = 0;
    std::string_view tag;
    for (std::string_view close : {"}}", "%}", "#}"}) {
        const size_t p = src.rfind(close);
        if (p != std::string_view::npos && p + 2 > end) {
            end = p + 2;
            tag = close;
        }
    }
    std::string text(src.substr(end));
    if (end >= 3 && src[end - 3] == '-') {
        text = text.substr(std::min(text.size(), text.find_first_not_of(" \t\n\r")));
    } else if (tag == "%}" && !text.empty() && text[0] == '\n') {
        text.erase(0, 1);
    }
    if (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
}

std::string today() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%d %b %Y", &tm);
    return buf;
}

}  // namespace

std::string ChatTemplate::known_names() { return "deepseek-r1, chatml, qwen2.5, llama2, llama3"; }

ChatTemplate ChatTemplate::from_jinja(std::string_view src, std::string bos_text, std::string eos_text) {
    ChatTemplate t;
    t.bos_ = std::move(bos_text);
    t.eos_ = std::move(eos_text);
    const std::string sq = squeeze(src);
    if (contains(src, kDsUser) && contains(src, kDsAssistant)) {
        t.family_ = ChatFamily::DeepSeekR1;
        t.think_in_prompt_ = contains(sq, std::string(kDsAssistant) + "<think>");
        std::string user_turn(1, '\'');  // piecewise: GCC 12 warns falsely on "'" + std::string
        user_turn += kDsUser;
        user_turn += "'+message['content']+'";
        user_turn += kDsEndOfSentence;
        user_turn += '\'';
        t.user_end_of_sentence_ = contains(sq, user_turn);
    } else if (contains(sq, "'<|im_start|>'+message['role']+''+message['content']+'<|im_end|>'+''") ||
               contains(sq, "'<|im_start|>'+message.role+''+message.content+'<|im_end|>'+''")) {
        t.family_ = ChatFamily::ChatML;
        t.default_system_ = chatml_default_system(src);
        t.qwen_tools_ = contains(src, "<tool_response>");
    } else if (contains(sq, "bos_token+'[INST]'+content.strip()+'[/INST]'") &&
               contains(sq, "''+content.strip()+''+eos_token") && contains(src, "<<SYS>>")) {
        t.family_ = ChatFamily::Llama2;
    } else if (contains(sq, "'<|start_header_id|>'+message['role']+'<|end_header_id|>'+message['content']|trim+'<|eot_id|>'")) {
        t.family_ = ChatFamily::Llama3;
        t.llama31_header_ = contains(src, "Cutting Knowledge Date");
        t.date_from_clock_ = contains(src, "strftime_now");
    } else {
        fail("chat template not recognised: Pareto renders the families " + known_names() +
             " (DeepSeek-R1 and its distills, Qwen2/Qwen2.5 ChatML, Llama 2 and Llama 3 chat), and this template "
             "has none of their markers; pass one of those names as the template to use it anyway");
    }
    t.trailing_ = trailing_text(src);
    return t;
}

ChatTemplate ChatTemplate::named(std::string_view name, std::string bos_text, std::string eos_text) {
    ChatTemplate t;
    t.bos_ = std::move(bos_text);
    t.eos_ = std::move(eos_text);
    if (name == "deepseek-r1") {
        t.family_ = ChatFamily::DeepSeekR1;
        t.think_in_prompt_ = true;
    } else if (name == "chatml") {
        t.family_ = ChatFamily::ChatML;
    } else if (name == "qwen2.5") {
        t.family_ = ChatFamily::ChatML;
        t.default_system_ = std::string(kQwenSystem);
        t.qwen_tools_ = true;
    } else if (name == "llama2") {
        t.family_ = ChatFamily::Llama2;
    } else if (name == "llama3") {
        t.family_ = ChatFamily::Llama3;
    } else {
        fail("unknown chat template '" + std::string(name) + "' (known: " + known_names() + ")");
    }
    return t;
}

ChatTemplate ChatTemplate::for_tokenizer(const Tokenizer& tok) {
    if (tok.chat_template().empty())
        fail("the model has no chat template; name one of " + known_names());
    return from_jinja(tok.chat_template(), tok.bos() ? tok.token_text(*tok.bos()) : "",
                      tok.eos() ? tok.token_text(*tok.eos()) : "");
}

std::string ChatTemplate::description() const {
    switch (family_) {
        case ChatFamily::DeepSeekR1:
            return std::string("deepseek-r1") + (think_in_prompt_ ? " (<think> in the generation prompt)" : "") +
                   (user_end_of_sentence_ ? " (llama.cpp's variant)" : "");
        case ChatFamily::ChatML:
            return std::string(qwen_tools_ ? "qwen2.5" : "chatml") +
                   (default_system_ ? " (default system prompt \"" + *default_system_ + "\")" : "");
        case ChatFamily::Llama2: return "llama2";
        case ChatFamily::Llama3: return llama31_header_ ? "llama3 (3.1+ system header)" : "llama3";
    }
    return "";
}

std::string ChatTemplate::apply(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const {
    if (messages.empty()) fail("chat template: there are no messages to render");
    std::string out;
    switch (family_) {
        case ChatFamily::DeepSeekR1: out = render_deepseek(messages, add_generation_prompt); break;
        case ChatFamily::ChatML: out = render_chatml(messages, add_generation_prompt); break;
        case ChatFamily::Llama2: out = render_llama2(messages); break;
        case ChatFamily::Llama3: out = render_llama3(messages, add_generation_prompt); break;
    }
    return out + trailing_;
}

// DeepSeek-R1: {{bos_token}}{{system prompt}}, then <｜User｜>content and
// <｜Assistant｜>answer<｜end▁of▁sentence｜>, where the answer is what follows the
// last </think>.
std::string ChatTemplate::render_deepseek(const std::vector<ChatMessage>& messages, bool gen) const {
    std::string system;
    for (const ChatMessage& m : messages)
        if (m.role == "system") system = m.content;  // the last one wins, as in the template
    std::string out = bos_ + system;
    for (const ChatMessage& m : messages) {
        if (m.role == "user") {
            out += std::string(kDsUser) + m.content;
            if (user_end_of_sentence_) out += kDsEndOfSentence;
        } else if (m.role == "assistant") {
            std::string content = m.content;
            if (const size_t p = content.rfind("</think>"); p != std::string::npos) content = content.substr(p + 8);
            out += std::string(kDsAssistant) + content + std::string(kDsEndOfSentence);
        } else if (m.role == "tool") {
            fail("chat template deepseek-r1: tool messages are not supported");
        }
        // Other roles ("system" included) produce nothing here.
    }
    if (gen) out += std::string(kDsAssistant) + (think_in_prompt_ ? "<think>\n" : "");
    return out;
}

// ChatML: <|im_start|>role\ncontent<|im_end|>\n per message, the default system
// prompt first when the first message is not one.
std::string ChatTemplate::render_chatml(const std::vector<ChatMessage>& messages, bool gen) const {
    auto turn = [](const std::string& role, const std::string& content) {
        return "<|im_start|>" + role + "\n" + content + "<|im_end|>\n";
    };
    std::string out;
    if (default_system_ && messages.front().role != "system") out += turn("system", *default_system_);
    for (size_t i = 0; i < messages.size(); ++i) {
        const ChatMessage& m = messages[i];
        if (!qwen_tools_) {
            out += turn(m.role, m.content);
        } else if (m.role == "user" || m.role == "system" || m.role == "assistant") {
            out += turn(m.role, m.content);
        } else if (m.role == "tool") {
            // Consecutive tool results share one user turn.
            if (i == 0 || messages[i - 1].role != "tool") out += "<|im_start|>user";
            out += "\n<tool_response>\n" + m.content + "\n</tool_response>";
            if (i + 1 == messages.size() || messages[i + 1].role != "tool") out += "<|im_end|>\n";
        }
    }
    if (gen) out += "<|im_start|>assistant\n";
    return out;
}

// Llama 2: the first user turn carries the system prompt in <<SYS>>; every user turn
// is <s>[INST] ... [/INST], every reply " ... </s>". The reply's place needs no
// generation prompt.
std::string ChatTemplate::render_llama2(const std::vector<ChatMessage>& messages) const {
    const bool has_system = messages.front().role == "system";
    const size_t first = has_system ? 1 : 0;
    std::string out;
    for (size_t i = first; i < messages.size(); ++i) {
        const ChatMessage& m = messages[i];
        const size_t k = i - first;
        if ((m.role == "user") != (k % 2 == 0))
            fail("chat template llama2: Conversation roles must alternate user/assistant/user/assistant/...");
        std::string content = m.content;
        if (k == 0 && has_system) content = "<<SYS>>\n" + messages.front().content + "\n<</SYS>>\n\n" + m.content;
        if (m.role == "user") out += bos_ + "[INST] " + strip(content) + " [/INST]";
        else if (m.role == "assistant") {
            out += ' ';
            out += strip(content);
            out += ' ';
            out += eos_;
        }
    }
    return out;
}

// Llama 3: <|start_header_id|>role<|end_header_id|>\n\n content <|eot_id|>; 3.1 and
// later open with a system turn holding the knowledge cutoff and today's date.
std::string ChatTemplate::render_llama3(const std::vector<ChatMessage>& messages, bool gen) const {
    auto header = [](const std::string& role) { return "<|start_header_id|>" + role + "<|end_header_id|>\n\n"; };
    std::string out;
    if (!llama31_header_) {
        for (size_t i = 0; i < messages.size(); ++i) {
            if (i == 0) out += bos_;
            out += header(messages[i].role) + strip(messages[i].content) + "<|eot_id|>";
        }
    } else {
        size_t first = 0;
        std::string system;
        if (messages.front().role == "system") {
            system = strip(messages.front().content);
            first = 1;
        }
        const std::string date = !date_.empty() ? date_ : date_from_clock_ ? today() : "26 Jul 2024";
        out += bos_ + header("system") + "Cutting Knowledge Date: December 2023\nToday Date: " + date + "\n\n" + system +
               "<|eot_id|>";
        for (size_t i = first; i < messages.size(); ++i) {
            const ChatMessage& m = messages[i];
            // The template passes content that "is iterable" (a string is) through
            // tojson, which HuggingFace defines as json.dumps(ensure_ascii=False).
            if (m.role == "tool" || m.role == "ipython") out += header("ipython") + nlohmann::json(m.content).dump() + "<|eot_id|>";
            else out += header(m.role) + strip(m.content) + "<|eot_id|>";
        }
    }
    if (gen) out += header("assistant");
    return out;
}

}  // namespace pareto
