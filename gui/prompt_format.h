#pragma once
// How the Playground's text becomes the model's input. Prompt mode: the text goes in
// as it is, after the tokenizer's BOS. Chat mode: the conversation is rendered with a
// chat template (engine/tokenizer/chat_template.h, as `pareto-cli run --chat`): the
// model's own when Pareto recognises it, or a family the user names for a model that
// has none.
#include <QString>

#include <string>
#include <vector>

#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace pareto {
class Model;
class Tokenizer;
}  // namespace pareto

namespace pareto::gui {

struct ChatTemplateChoice {
    QString name;   // "" : the model's own; else a family for ChatTemplate::named
    QString label;  // "Model's own: deepseek-r1", "chatml"
};

// The templates the Playground offers for `model` (null: no model): its own first.
std::vector<ChatTemplateChoice> chat_template_choices(const Model* model);

// The template `name` ("" : the model's own) with the model's BOS / EOS texts.
// Throws pareto::Error naming the model when it has no template or one Pareto does
// not recognise.
ChatTemplate chat_template_for(const Model& model, const QString& name);

// The chat prompt's tokens: BOS added only when the template did not write it.
std::vector<TokenId> encode_chat_prompt(const Tokenizer& tok, const std::string& rendered);

}  // namespace pareto::gui
