// Fuzz target: chat templates. The input is a Jinja template, then after a NUL one
// flag byte (bit 0: add the generation prompt) and the messages: records separated
// by 0x1E, each "role" 0x1F "content". The template is recognised (from_jinja) and
// the messages rendered with it; they are also rendered by every named family, so
// the renderers are fuzzed even when the template text is not recognised.
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "tokenizer/chat_template.h"
#include "util/error.h"

namespace {

std::vector<pareto::ChatMessage> parse_messages(std::string_view s) {
    std::vector<pareto::ChatMessage> out;
    while (!s.empty() && out.size() < 64) {
        const size_t end = s.find('\x1e');
        const std::string_view record = s.substr(0, end);
        const size_t sep = record.find('\x1f');
        if (sep == std::string_view::npos) out.push_back({std::string(record), ""});
        else out.push_back({std::string(record.substr(0, sep)), std::string(record.substr(sep + 1))});
        if (end == std::string_view::npos) break;
        s.remove_prefix(end + 1);
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace pareto;
    const auto [source, rest] = fuzz::split_at_nul(fuzz::as_text(data, size));
    const bool add_generation_prompt = rest.empty() || (rest[0] & 1);
    const std::vector<ChatMessage> messages = parse_messages(rest.empty() ? rest : rest.substr(1));
    size_t sink = 0;
    try {
        ChatTemplate t = ChatTemplate::from_jinja(source, "<s>", "</s>");
        t.set_date("26 Jul 2024");  // the clock would make runs differ
        sink += t.description().size();
        sink += t.apply(messages, add_generation_prompt).size();
    } catch (const Error&) {
    }
    for (const char* name : {"deepseek-r1", "chatml", "qwen2.5", "llama2", "llama3"}) {
        try {
            ChatTemplate t = ChatTemplate::named(name, "<s>", "</s>");
            t.set_date("26 Jul 2024");
            sink += t.apply(messages, add_generation_prompt).size();
        } catch (const Error&) {
        }
    }
    fuzz::keep(sink);
    return 0;
}
