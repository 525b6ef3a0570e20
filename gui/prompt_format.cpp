#include "gui/prompt_format.h"

#include <QFileInfo>
#include <QObject>

#include "model/model.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace pareto::gui {
namespace {
const char* const kFamilies[] = {"deepseek-r1", "chatml", "qwen2.5", "llama2", "llama3"};

std::string token_text_or_empty(const Tokenizer& tok, std::optional<TokenId> id) {
    return id ? tok.token_text(*id) : std::string();
}
}  // namespace

std::vector<ChatTemplateChoice> chat_template_choices(const Model* model) {
    QString own = QObject::tr("Model's own: none");
    if (model && !model->tokenizer().chat_template().empty()) {
        try {
            // The family's name ("qwen2.5"), not its whole description.
            const std::string d = ChatTemplate::for_tokenizer(model->tokenizer()).description();
            own = QObject::tr("Model's own: %1").arg(QString::fromStdString(d.substr(0, d.find(' '))));
        } catch (const Error&) {
            own = QObject::tr("Model's own: not recognised");
        }
    }
    std::vector<ChatTemplateChoice> choices{{QString(), own}};
    for (const char* f : kFamilies) choices.push_back({QString::fromLatin1(f), QString::fromLatin1(f)});
    return choices;
}

ChatTemplate chat_template_for(const Model& model, const QString& name) {
    const Tokenizer& tok = model.tokenizer();
    if (!name.isEmpty())
        return ChatTemplate::named(name.toStdString(), token_text_or_empty(tok, tok.bos()),
                                   token_text_or_empty(tok, tok.eos()));
    const std::string file = QFileInfo(QString::fromStdString(model.path())).fileName().toStdString();
    if (tok.chat_template().empty())
        fail(file + " has no chat template: pick a template family (" + ChatTemplate::known_names() +
             ") to chat, or use prompt mode");
    try {
        return ChatTemplate::for_tokenizer(tok);
    } catch (const Error& e) {
        fail(file + ": " + e.what());
    }
}

std::vector<int32_t> encode_chat_prompt(const Tokenizer& tok, const std::string& rendered) {
    const std::string bos = token_text_or_empty(tok, tok.bos());
    TokenizeOptions opt;
    // Templates that write BOS themselves must not get a second one.
    opt.add_bos = tok.add_bos_default() && (bos.empty() || rendered.compare(0, bos.size(), bos) != 0);
    opt.parse_special = true;
    return tok.encode(rendered, opt);
}

}  // namespace pareto::gui
