#pragma once
// Reasoning models (DeepSeek-R1 and its distills) think aloud between <think> and
// </think> before they answer. ReasoningSplitter separates the two as the text
// streams in: feed it each decoded token piece and it reports which part of the
// text is reasoning and which is answer. A tag split across pieces ("</th" + "ink>")
// is held back until it is complete, so the output never shows half a tag; the tags
// themselves are not reported.
#include <string>
#include <string_view>
#include <vector>

namespace pareto {

class ReasoningSplitter {
public:
    struct Piece {
        bool reasoning;  // true: inside <think>...</think>
        std::string text;
    };

    // `in_reasoning`: the prompt already opened <think> (DeepSeek-R1's current
    // generation prompt ends with "<think>\n"); see prompt_opens_reasoning.
    explicit ReasoningSplitter(bool in_reasoning = false) : in_reasoning_(in_reasoning) {}

    // Whether a prompt ends inside an unclosed <think>.
    static bool prompt_opens_reasoning(std::string_view prompt);

    // The text of `piece` that can be reported now, split where the part changes.
    std::vector<Piece> feed(std::string_view piece);
    // At the end of the stream: text held back as a possible partial tag.
    std::vector<Piece> finish();

    bool in_reasoning() const { return in_reasoning_; }
    const std::string& reasoning() const { return reasoning_; }  // all reasoning so far
    const std::string& answer() const { return answer_; }        // all answer text so far

private:
    void emit(std::vector<Piece>& out, std::string_view text);

    bool in_reasoning_;
    std::string pending_;  // a possible start of the next tag
    std::string reasoning_, answer_;
};

}  // namespace pareto
