import QtQuick
import QtQuick.Layouts
import Pareto.Bridge
import Pareto.Theme

// The bottom line: the model, what is running, and the machine (SIMD path,
// threads, memory).
Rectangle {
    id: root
    required property Workbench workbench
    readonly property ModelController model: workbench.model
    readonly property Generator generator: workbench.generator
    readonly property SystemStatus system: workbench.system

    objectName: "statusBar"
    implicitHeight: 30
    color: Theme.sidebar
    Rectangle { anchors { left: parent.left; right: parent.right; top: parent.top } height: 1; color: Theme.border }

    component Item_: RowLayout {
        property string icon
        property alias text: label.text
        property color tint: Theme.textDim
        spacing: 6
        Icon { name: parent.icon; size: 13; color: parent.tint; visible: parent.icon !== "" }
        Text { id: label; color: parent.tint; font.pixelSize: Theme.fontXs; font.family: Theme.mono }
    }

    RowLayout {
        anchors { fill: parent; leftMargin: 14; rightMargin: 14 }
        spacing: 18

        Item_ {
            objectName: "statusModel"
            icon: "model"
            text: root.model.loaded ? root.model.displayName + " · ctx " + root.model.loadedContext
                : root.model.hasInfo ? root.model.displayName + " (not loaded)" : qsTr("no model")
            tint: root.model.loaded ? Theme.text : Theme.textFaint
        }
        Item_ {
            visible: root.generator.running || root.model.busy
            icon: "gauge"
            tint: Theme.amber
            text: root.generator.running ? qsTr("generating · %1 tok/s").arg(Fmt.rate(root.generator.tokensPerSecond))
                                         : root.model.stage
        }
        Item { Layout.fillWidth: true }
        Item_ { objectName: "statusSimd"; icon: "cpu"; text: "SIMD " + root.system.simd }
        Item_ { objectName: "statusThreads"; text: root.workbench.effectiveThreads + " threads" }
        Item_ {
            objectName: "statusRss"
            icon: "memory"
            text: "RSS " + Fmt.bytes(root.system.rssBytes) + " · peak " + Fmt.bytes(root.system.peakRssBytes)
        }
        Item_ {
            visible: root.system.availableBytes > 0
            text: Fmt.bytes(root.system.availableBytes) + " free"
        }
    }
}
