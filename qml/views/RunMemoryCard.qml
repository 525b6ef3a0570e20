import QtQuick
import QtQuick.Layouts
import Pareto.Bridge
import Pareto.Theme

// Who owns the run's memory: weights by type, the KV cache, the scratch buffers,
// against the peak resident memory of the process.
Card {
    id: root
    required property ProfileController pc
    objectName: "runMemory"
    title: qsTr("Memory")
    subtitle: qsTr("weights by type, KV cache, scratch; the process's peak resident memory")
    readonly property var entries: pc.memory
    readonly property real peak: {
        for (const e of entries) if (e.category === "rss") return e.bytes
        return 0
    }
    implicitHeight: 124
    MemoryBar {
        anchors { left: parent.left; right: parent.right; top: parent.top }
        capacity: root.peak
        segments: {
            const out = []
            for (const e of root.entries) {
                if (e.category === "rss") continue
                const c = e.category === "weights" ? Theme.typeColor(e.type)
                        : e.category === "kv" ? Theme.memKv : Theme.memScratch
                out.push({label: e.label, bytes: e.bytes, color: c})
            }
            return out
        }
    }
    Text {
        anchors { left: parent.left; bottom: parent.bottom }
        text: qsTr("Peak RSS %1").arg(Fmt.bytes(root.peak))
        color: Theme.danger
        font.pixelSize: Theme.fontSm
        font.family: Theme.mono
    }
}
