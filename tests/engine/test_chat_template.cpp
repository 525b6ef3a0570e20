// Chat templates against strings worked out by hand from the published Jinja sources
// (../shared/models/templates/ and the Llama templates quoted below), and the
// streaming splitter of DeepSeek-R1's <think> reasoning.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/test_data.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/reasoning.h"
#include "util/error.h"

namespace pareto {
namespace {

using Messages = std::vector<ChatMessage>;

#define BOS_R1 "<\xEF\xBD\x9C" "begin\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>"
#define EOS_R1 "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>"
#define USER_R1 "<\xEF\xBD\x9CUser\xEF\xBD\x9C>"
#define ASSISTANT_R1 "<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C>"

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

// ---- DeepSeek-R1-Distill ---------------------------------------------------------------

class DeepSeekR1 : public ::testing::Test {
protected:
    void SetUp() override {
        const std::string path = test::find_data("models/templates/deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja");
        if (path.empty()) {
            if (test::running_in_ci()) FAIL() << "missing the DeepSeek-R1 template";
            GTEST_SKIP() << "missing the DeepSeek-R1 template";
        }
        tpl = std::make_unique<ChatTemplate>(ChatTemplate::from_jinja(test::read_text_file(path), BOS_R1, EOS_R1));
    }
    std::unique_ptr<ChatTemplate> tpl;
};

TEST_F(DeepSeekR1, Recognised) {
    EXPECT_EQ(tpl->family(), ChatFamily::DeepSeekR1);
    EXPECT_EQ(tpl->description(), "deepseek-r1 (<think> in the generation prompt)");
}

// {{bos_token}}{{ns.system_prompt}}, '<｜User｜>' + content, and the generation prompt
// '<｜Assistant｜><think>\n'.
TEST_F(DeepSeekR1, SingleTurn) {
    EXPECT_EQ(tpl->apply({{"user", "What is 2+2?"}}, true), BOS_R1 USER_R1 "What is 2+2?" ASSISTANT_R1 "<think>\n");
    EXPECT_EQ(tpl->apply({{"user", "What is 2+2?"}}, false), BOS_R1 USER_R1 "What is 2+2?");
}

// The system prompt goes right after BOS, wherever the message stands; an earlier
// reply keeps only what follows its last </think>, and ends with <｜end▁of▁sentence｜>.
TEST_F(DeepSeekR1, SystemPromptAndMultiTurnDropReasoning) {
    const Messages m = {{"system", "You are terse."},
                        {"user", "Hi"},
                        {"assistant", "<think>\nThe user greets me.\n</think>\n\nHello!"},
                        {"user", "2+2?"}};
    EXPECT_EQ(tpl->apply(m, true), BOS_R1 "You are terse." USER_R1 "Hi" ASSISTANT_R1 "\n\nHello!" EOS_R1 USER_R1
                                   "2+2?" ASSISTANT_R1 "<think>\n");
    // Reasoning that the prompt opened has no <think> in the reply; split('</think>')[-1]
    // takes the text after the last one.
    EXPECT_EQ(tpl->apply({{"user", "a"}, {"assistant", "x</think>y</think>z"}}, false),
              BOS_R1 USER_R1 "a" ASSISTANT_R1 "z" EOS_R1);
    EXPECT_EQ(tpl->apply({{"user", "a"}, {"assistant", "no reasoning"}}, false),
              BOS_R1 USER_R1 "a" ASSISTANT_R1 "no reasoning" EOS_R1);
    // The last system message wins; its position does not matter.
    EXPECT_EQ(tpl->apply({{"system", "A"}, {"user", "u"}, {"system", "B"}}, false), BOS_R1 "B" USER_R1 "u");
}

TEST(DeepSeekR1Variants, LlamaCppVariantEndsUserTurns) {
    PARETO_REQUIRE_DATA(path, "models/templates/llama-cpp-deepseek-r1.jinja");
    const ChatTemplate t = ChatTemplate::from_jinja(test::read_text_file(path), BOS_R1, EOS_R1);
    EXPECT_EQ(t.family(), ChatFamily::DeepSeekR1);
    EXPECT_EQ(t.apply({{"system", "S"}, {"user", "Hi"}, {"assistant", "r</think>Yo"}, {"user", "Q"}}, true),
              BOS_R1 "S" USER_R1 "Hi" EOS_R1 ASSISTANT_R1 "Yo" EOS_R1 USER_R1 "Q" EOS_R1 ASSISTANT_R1 "<think>\n");
}

TEST(DeepSeekR1Variants, OlderTemplateWithoutThinkInThePrompt) {
    // The first published R1-Distill template ended with {{'<｜Assistant｜>'}}.
    const std::string older =
        "{{bos_token}}{%- for message in messages %}{%- if message['role'] == 'user' %}{{'" USER_R1
        "' + message['content']}}{%- endif %}{%- endfor -%}{% if add_generation_prompt %}{{'" ASSISTANT_R1 "'}}{% endif %}";
    const ChatTemplate t = ChatTemplate::from_jinja(older, BOS_R1, EOS_R1);
    EXPECT_EQ(t.apply({{"user", "Hi"}}, true), BOS_R1 USER_R1 "Hi" ASSISTANT_R1);
}

// ---- Qwen2.5 / ChatML ------------------------------------------------------------------

class Qwen25 : public ::testing::Test {
protected:
    void SetUp() override {
        const std::string path = test::find_data("models/templates/Qwen-Qwen2.5-7B-Instruct.jinja");
        if (path.empty()) {
            if (test::running_in_ci()) FAIL() << "missing the Qwen2.5 template";
            GTEST_SKIP() << "missing the Qwen2.5 template";
        }
        tpl = std::make_unique<ChatTemplate>(ChatTemplate::from_jinja(test::read_text_file(path), "", "<|im_end|>"));
    }
    std::unique_ptr<ChatTemplate> tpl;
};

TEST_F(Qwen25, DefaultSystemPrompt) {
    EXPECT_EQ(tpl->description(), "qwen2.5 (default system prompt \"You are Qwen, created by Alibaba Cloud. You are a helpful assistant.\")");
    EXPECT_EQ(tpl->apply({{"user", "Hi"}}, true),
              "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
              "<|im_start|>user\nHi<|im_end|>\n"
              "<|im_start|>assistant\n");
}

TEST_F(Qwen25, SystemPromptAndMultiTurn) {
    const Messages m = {{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello."}, {"user", "Bye"}};
    EXPECT_EQ(tpl->apply(m, true),
              "<|im_start|>system\nBe brief.<|im_end|>\n"
              "<|im_start|>user\nHi<|im_end|>\n"
              "<|im_start|>assistant\nHello.<|im_end|>\n"
              "<|im_start|>user\nBye<|im_end|>\n"
              "<|im_start|>assistant\n");
    EXPECT_EQ(tpl->apply(m, false),
              "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
              "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n");
}

// A later system message is a turn of its own; consecutive tool results share one
// user turn; unknown roles print nothing.
TEST_F(Qwen25, LaterSystemToolResultsAndOtherRoles) {
    const Messages m = {{"user", "Weather?"}, {"tool", "sunny"}, {"tool", "22C"}, {"system", "Mind units."},
                        {"narrator", "ignored"}, {"assistant", "Sunny, 22C."}};
    EXPECT_EQ(tpl->apply(m, false),
              "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
              "<|im_start|>user\nWeather?<|im_end|>\n"
              "<|im_start|>user\n<tool_response>\nsunny\n</tool_response>\n<tool_response>\n22C\n</tool_response><|im_end|>\n"
              "<|im_start|>system\nMind units.<|im_end|>\n"
              "<|im_start|>assistant\nSunny, 22C.<|im_end|>\n");
}

// Qwen2-Instruct's template: the default system prompt inside the loop.
TEST(ChatML, Qwen2InstructTemplate) {
    const char* qwen2 =
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou "
        "are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + "
        "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ "
        "'<|im_start|>assistant\\n' }}{% endif %}";
    const ChatTemplate t = ChatTemplate::from_jinja(qwen2);
    EXPECT_EQ(t.apply({{"user", "Hi"}}, true),
              "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
              "<|im_start|>assistant\n");
    EXPECT_EQ(t.apply({{"system", "S"}, {"user", "Hi"}}, false),
              "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n");
}

// The fixture's tokenizer_config.json holds plain ChatML followed by literal text.
TEST(ChatML, TrailingLiteralTextIsKept) {
    PARETO_REQUIRE_DATA(cfg, "models/qwen2-tokenizer/tokenizer_config.json");
    const std::string tpl_src = nlohmann::json::parse(test::read_text_file(cfg))["chat_template"].get<std::string>();
    ASSERT_NE(tpl_src.find("+ '\n' +"), std::string::npos) << "the decoded JSON holds newlines in the literals";
    const ChatTemplate t = ChatTemplate::from_jinja(tpl_src);
    EXPECT_EQ(t.description(), "chatml");
    EXPECT_EQ(t.apply({{"user", "Hi"}}, true), "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\ntemplate ends here");
    EXPECT_EQ(t.apply({{"user", "Hi"}}, false), "<|im_start|>user\nHi<|im_end|>\ntemplate ends here");
}

// ---- Llama ------------------------------------------------------------------------------

// Llama-2-chat's published template (meta-llama/Llama-2-7b-chat-hf).
const char* kLlama2 =
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = "
    "messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}"
    "{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ "
    "raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if "
    "loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + "
    "'\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if "
    "message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == "
    "'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

TEST(Llama2, SystemInFirstTurnAndStrippedContent) {
    const ChatTemplate t = ChatTemplate::from_jinja(kLlama2, "<s>", "</s>");
    EXPECT_EQ(t.family(), ChatFamily::Llama2);
    const Messages m = {{"system", "Be kind."}, {"user", " Hi "}, {"assistant", " Hello! "}, {"user", "Again"}};
    // strip() applies to the whole first-turn text, so " Hi " keeps its leading space
    // after the <<SYS>> block.
    EXPECT_EQ(t.apply(m, true), "<s>[INST] <<SYS>>\nBe kind.\n<</SYS>>\n\n Hi [/INST] Hello! </s><s>[INST] Again [/INST]");
    EXPECT_EQ(t.apply({{"user", "Hi"}}, true), "<s>[INST] Hi [/INST]");
    EXPECT_NE(error_of([&] { t.apply({{"user", "a"}, {"user", "b"}}, true); }).find("roles must alternate"),
              std::string::npos);
    EXPECT_NE(error_of([&] { t.apply({{"assistant", "a"}}, true); }).find("roles must alternate"), std::string::npos);
}

// Meta-Llama-3-8B-Instruct's published template.
const char* kLlama3 =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + "
    "message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 "
    "%}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ "
    "'<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

TEST(Llama3, HeadersAndTrimmedContent) {
    const ChatTemplate t = ChatTemplate::from_jinja(kLlama3, "<|begin_of_text|>", "<|eot_id|>");
    EXPECT_EQ(t.description(), "llama3");
    EXPECT_EQ(t.apply({{"system", "Sys"}, {"user", "  Hi\n"}, {"assistant", "Yo"}, {"user", "Q"}}, true),
              "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nSys<|eot_id|>"
              "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
              "<|start_header_id|>assistant<|end_header_id|>\n\nYo<|eot_id|>"
              "<|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|>"
              "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

// Llama 3.1+: a system turn with the knowledge cutoff and the date always comes
// first, holding the (trimmed) system message if there is one. The recognised
// markers of the 3.1 template, with its message loop:
const char* kLlama31Markers =
    "{{- bos_token }}{%- if not date_string is defined %}{%- set date_string = \"26 Jul 2024\" %}{%- endif %}"
    "{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}{{- \"Cutting Knowledge Date: December 2023\\n\" }}"
    "{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ "
    "message['content'] | trim + '<|eot_id|>' }}{%- endfor %}";

TEST(Llama3, Llama31SystemHeader) {
    ChatTemplate t = ChatTemplate::from_jinja(kLlama31Markers, "<|begin_of_text|>", "<|eot_id|>");
    EXPECT_EQ(t.description(), "llama3 (3.1+ system header)");
    EXPECT_EQ(t.apply({{"system", " Sys "}, {"user", "Hi"}}, true),
              "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
              "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nSys<|eot_id|>"
              "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
              "<|start_header_id|>assistant<|end_header_id|>\n\n");
    t.set_date("01 Jan 2025");
    EXPECT_EQ(t.apply({{"user", "Hi"}, {"tool", " {\"t\": 1} "}}, false),
              "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
              "Cutting Knowledge Date: December 2023\nToday Date: 01 Jan 2025\n\n<|eot_id|>"
              "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
              "<|start_header_id|>ipython<|end_header_id|>\n\n\" {\\\"t\\\": 1} \"<|eot_id|>");  // tojson of a string
}

// ---- names and errors -------------------------------------------------------------------

TEST(ChatTemplateNames, NamedFamilies) {
    EXPECT_EQ(ChatTemplate::named("qwen2.5").apply({{"user", "Hi"}}, true),
              "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
              "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    EXPECT_EQ(ChatTemplate::named("chatml").apply({{"user", "Hi"}}, true), "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    EXPECT_EQ(ChatTemplate::named("deepseek-r1", "<s>").apply({{"user", "Hi"}}, true), "<s>" USER_R1 "Hi" ASSISTANT_R1 "<think>\n");
    EXPECT_EQ(ChatTemplate::named("llama2", "<s>", "</s>").apply({{"user", "Hi"}}, true), "<s>[INST] Hi [/INST]");
    EXPECT_EQ(ChatTemplate::named("llama3", "<|begin_of_text|>").apply({{"user", "Hi"}}, false),
              "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>");
    EXPECT_NE(error_of([] { ChatTemplate::named("vicuna"); }).find("unknown chat template 'vicuna' (known: deepseek-r1"),
              std::string::npos);
}

TEST(ChatTemplateNames, UnrecognisedTemplateIsAClearError) {
    // The tiny Qwen2 fixture's template.
    const std::string msg = error_of([] { ChatTemplate::from_jinja("{% for m in messages %}{{ m.content }}{% endfor %}"); });
    EXPECT_NE(msg.find("chat template not recognised"), std::string::npos) << msg;
    EXPECT_NE(msg.find("deepseek-r1, chatml, qwen2.5, llama2, llama3"), std::string::npos) << msg;
    EXPECT_NE(error_of([] { ChatTemplate::named("chatml").apply({}, true); }).find("no messages"), std::string::npos);
    EXPECT_NE(error_of([] { ChatTemplate::named("deepseek-r1").apply({{"tool", "x"}}, true); }).find("tool messages"),
              std::string::npos);
}

// ---- reasoning ----------------------------------------------------------------------------

std::string render(const std::vector<ReasoningSplitter::Piece>& pieces) {
    std::string s;
    for (const auto& p : pieces) s += (p.reasoning ? "R[" : "A[") + p.text + "]";
    return s;
}

TEST(Reasoning, SplitsThinkFromAnswer) {
    ReasoningSplitter s;
    EXPECT_EQ(render(s.feed("<think>\nLet me see.")), "R[\nLet me see.]");
    EXPECT_EQ(render(s.feed(" 2+2=4.\n</think>\n\nIt is 4.")), "R[ 2+2=4.\n]A[\n\nIt is 4.]");
    EXPECT_EQ(render(s.finish()), "");
    EXPECT_EQ(s.reasoning(), "\nLet me see. 2+2=4.\n");
    EXPECT_EQ(s.answer(), "\n\nIt is 4.");
}

TEST(Reasoning, TagsSplitAcrossPiecesAreHeldBack) {
    ReasoningSplitter s(/*in_reasoning=*/true);  // the prompt ended with "<think>\n"
    std::string out;
    for (const char* piece : {"Hmm", " <", "/", "thi", "nk", ">", "Yes", "<", "b>"}) out += render(s.feed(piece));
    out += render(s.finish());
    EXPECT_EQ(out, "R[Hmm]R[ ]A[Yes]A[<b>]");
    EXPECT_EQ(s.reasoning(), "Hmm ");
    EXPECT_EQ(s.answer(), "Yes<b>");
    // A partial tag at the very end is text after all.
    ReasoningSplitter t;
    EXPECT_EQ(render(t.feed("a <thi")), "A[a ]");
    EXPECT_EQ(render(t.finish()), "A[<thi]");
}

TEST(Reasoning, PromptOpensReasoning) {
    EXPECT_TRUE(ReasoningSplitter::prompt_opens_reasoning(USER_R1 "Hi" ASSISTANT_R1 "<think>\n"));
    EXPECT_FALSE(ReasoningSplitter::prompt_opens_reasoning(USER_R1 "Hi" ASSISTANT_R1));
    EXPECT_FALSE(ReasoningSplitter::prompt_opens_reasoning("<think>a</think>b"));
    EXPECT_TRUE(ReasoningSplitter::prompt_opens_reasoning("<think>a</think>b<think>"));
}

}  // namespace
}  // namespace pareto
