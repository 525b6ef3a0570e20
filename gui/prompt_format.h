#pragma once
// How the Playground's text becomes the model's input. Today there is one format:
// the text goes in as it is, after the tokenizer's BOS. The chat templates of the
// supported families (Qwen2, Llama 3, DeepSeek-R1: issue 8) join here as further
// formats offered for the models that have them; the Playground lists whatever
// prompt_formats() returns and Generator applies the chosen one.
#include <QString>

#include <string>
#include <vector>

namespace pareto {
class Model;
}

namespace pareto::gui {

struct PromptFormat {
    QString id;           // "plain"
    QString label;        // "Plain text"
    QString description;  // one line for a tooltip
};

// The formats `model` supports (null: the formats of no model in particular).
std::vector<PromptFormat> prompt_formats(const Model* model);

// The text the tokenizer gets for `user_text` in format `id`; throws pareto::Error
// for a format the model does not have.
std::string apply_prompt_format(const QString& id, const Model& model, const std::string& user_text);

}  // namespace pareto::gui
