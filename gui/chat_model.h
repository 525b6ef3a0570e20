#pragma once
// The Playground's conversation in chat mode: user and assistant turns, the
// assistant's reply growing as it streams. A reasoning model's reply (DeepSeek-R1:
// <think>…</think> before the answer) is split as it arrives by the engine's
// ReasoningSplitter, so the view can show the reasoning in its own block: open while
// the reasoning streams, closed once the answer starts.
#include <QAbstractListModel>
#include <QString>
#include <QtQml/qqmlregistration.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/chat_template.h"

namespace pareto {
class ReasoningSplitter;  // tokenizer/reasoning.h: only chat_model.cpp includes it (its
                          // private emit() collides with Qt's emit macro)
}

namespace pareto::gui {

class ChatModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by a Generator")
    Q_PROPERTY(int count READ count NOTIFY countChanged)

public:
    enum Role {
        RoleRole = Qt::UserRole + 1,  // "user" or "assistant"
        TextRole,                     // the user's message, or the assistant's answer (reasoning left out)
        ReasoningRole,                // the assistant's reasoning ("" : none)
        ReasoningActiveRole,          // the reasoning is streaming right now
        StreamingRole,                // this reply is still coming
        StatsRole,                    // "42 tokens · 310 tok/s" once the reply is done
    };
    Q_ENUM(Role)

    explicit ChatModel(QObject* parent = nullptr);
    ~ChatModel() override;

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;
    int count() const { return static_cast<int>(turns_.size()); }

    void addUser(const QString& text);
    // Starts the assistant's reply; `opens_reasoning`: the prompt ended inside <think>.
    void beginAssistant(bool opens_reasoning);
    // More of the streaming reply (whole UTF-8 characters).
    void appendAssistant(std::string_view text);
    // The reply is complete (or stopped): text held back as a possible tag is shown.
    void finishAssistant(const QString& stats);
    // A reply that failed before it began: its empty turn and the user's turn that
    // asked for it go (the user's text is returned so it can be typed again).
    QString dropFailedTurn();
    Q_INVOKABLE void clear();  // a new conversation (not while a reply streams)
    void reset();              // everything goes, a streaming reply too (another model)

    // The conversation for the chat template; an assistant's content is its reply as
    // the model wrote it (the templates drop earlier reasoning where they should).
    std::vector<ChatMessage> messages() const;
    bool streaming() const { return splitter_ != nullptr; }
    // Whether a rendered prompt ends inside an open <think> (DeepSeek-R1's template).
    static bool promptOpensReasoning(std::string_view prompt);

signals:
    void countChanged();

private:
    struct Turn {
        bool assistant = false;
        std::string raw;        // the user's message / the reply as generated
        std::string answer, reasoning;
        bool reasoning_active = false, streaming = false;
        QString stats;
    };
    void changedLast(const QList<int>& roles);

    std::vector<Turn> turns_;
    std::unique_ptr<ReasoningSplitter> splitter_;  // of the reply streaming now
};

}  // namespace pareto::gui
