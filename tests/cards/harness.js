// Renders a Trunkbot card with Microsoft's Adaptive Cards renderer at target version 1.3,
// the way a Webex client would, and reports what the renderer says about it.
// Driven from Python by tests/cards/__init__.py (CardBrowser); nothing here talks to a network.
(function () {
  "use strict";

  const AC = window.AdaptiveCards;
  const TARGET = AC.Versions.v1_3; // Webex renders Adaptive Cards 1.3 only (webex-api.md)

  // Webex's own host config is not published; this one keeps the renderer's defaults and
  // sets the limits Webex documents: interactive cards, at most 5 actions.
  const HOST_CONFIG = new AC.HostConfig({
    fontFamily: "DejaVu Sans, sans-serif",
    supportsInteractivity: true,
    actions: { maxActions: 5, buttonSpacing: 8, actionsOrientation: "horizontal" },
  });

  // A real host processes TextBlock markdown; markdown-it is what the renderer picks up by
  // default, and it is CommonMark, so escaping is tested against a real parser.
  AC.AdaptiveCard.onProcessMarkdown = function (text, result) {
    result.outputHtml = window.markdownit().render(text);
    result.didProcess = true;
  };

  function describe(ev) {
    const where = ev.source && ev.source.getJsonTypeName ? ev.source.getJsonTypeName() : "card";
    const id = ev.source && ev.source.id ? "#" + ev.source.id : "";
    return `${AC.ValidationEvent[ev.event]} (${where}${id}): ${ev.message}`;
  }

  // Collections each type parses by hand rather than through its schema.
  const COLLECTIONS = {
    AdaptiveCard: ["body", "actions"],
    Container: ["items"],
    Column: ["items"],
    ColumnSet: ["columns"],
    ActionSet: ["actions"],
    RichTextBlock: ["inlines"],
  };

  // Properties the renderer doesn't know at 1.3. parse() silently ignores an unknown
  // property (and a typo), so each object's keys are checked against the renderer's own
  // schema for its type: the properties it defines, each with the version that added it.
  function schemaOf(model) {
    const schema = model.getSchema();
    const known = new Map([["type", AC.Versions.v1_0]]);
    for (const name of COLLECTIONS[model.getJsonTypeName ? model.getJsonTypeName() : ""] || []) {
      known.set(name, AC.Versions.v1_0);
    }
    for (let i = 0; i < schema.getCount(); i++) {
      const prop = schema.getItemAt(i);
      known.set(prop.name, prop.targetVersion);
    }
    return known;
  }

  function modelFor(json, container) {
    if (container === "card") {
      return new AC.AdaptiveCard();
    }
    if (container === "choices") {
      return new AC.Choice();
    }
    if (container === "facts") {
      return new AC.Fact();
    }
    if (typeof json.type === "string") {
      return AC.GlobalRegistry.elements.createInstance(json.type, TARGET) ||
        AC.GlobalRegistry.actions.createInstance(json.type, TARGET);
    }
    return undefined;
  }

  function unknownProperties(json, path, container, out) {
    if (Array.isArray(json)) {
      json.forEach((item, i) => unknownProperties(item, `${path}[${i}]`, container, out));
      return;
    }
    if (!json || typeof json !== "object") {
      return;
    }
    if (container === "targetElements") {
      for (const key of Object.keys(json)) {
        if (key !== "elementId" && key !== "isVisible") {
          out.push(`UnknownProperty (${path}.${key}): not a property of a target element`);
        }
      }
      return;
    }
    const model = modelFor(json, container);
    if (!model) {
      out.push(`UnknownProperty (${path}): an object the renderer can't place`);
      return;
    }
    const known = schemaOf(model);
    for (const key of Object.keys(json)) {
      const since = known.get(key);
      if (since === undefined) {
        out.push(`UnknownProperty (${path}.${key}): ${json.type || container} has no "${key}"`);
      } else if (since.compareTo(TARGET) > 0) {
        out.push(`UnsupportedProperty (${path}.${key}): "${key}" needs ${since}`);
      } else if (key !== "data" && json[key] && typeof json[key] === "object") {
        unknownProperties(json[key], `${path}.${key}`, key, out);
      }
    }
  }

  function parse(json) {
    const context = new AC.SerializationContext(TARGET);
    const card = new AC.AdaptiveCard();
    card.hostConfig = HOST_CONFIG;
    card.maxVersion = TARGET; // a card asking for more than 1.3 is one Webex won't render
    card.parse(json, context);
    const events = [];
    for (let i = 0; i < context.eventCount; i++) {
      events.push(describe(context.getEventAt(i)));
    }
    return { card, events };
  }

  const state = { card: null, executed: [] };

  window.trunkbotCards = {
    version: AC.Versions.latest.toString(),

    // Every parse and validation event at target 1.3, plus properties it doesn't know.
    validate(json) {
      const { card, events } = parse(json);
      for (const ev of card.validateProperties().validationEvents) {
        events.push(describe(ev));
      }
      unknownProperties(json, "card", "card", events);
      return events;
    },

    // Render into #card; every executed action is recorded for Python to collect.
    render(json) {
      const { card } = parse(json);
      state.card = card;
      state.executed = [];
      card.onExecuteAction = function (action) {
        const entry = { type: action.getJsonTypeName(), title: action.title || "" };
        if (action instanceof AC.SubmitAction) {
          // action.data: the action's own data merged with the inputs, as the host posts it
          entry.data = JSON.parse(JSON.stringify(action.data));
        }
        state.executed.push(entry);
      };
      const target = document.getElementById("card");
      target.innerHTML = "";
      const rendered = card.render();
      if (!rendered) {
        throw new Error("the renderer produced nothing for this card");
      }
      target.appendChild(rendered);
      // Tag each input's control so Playwright can find it as a person would use it.
      for (const input of card.getAllInputs()) {
        const el = input.renderedInputControlElement;
        if (!el || !input.id) {
          continue;
        }
        const control = el.matches("input, select, textarea") ? el
          : el.querySelector(input instanceof AC.ToggleInput ? "input[type=checkbox]"
            : "input, select, textarea");
        (control || el).setAttribute("data-input-id", input.id);
      }
      return true;
    },

    // What Python needs to drive input `id`: its kind, and a toggle's two values.
    inputInfo(id) {
      const input = state.card && state.card.getElementById(id);
      if (!input || !(input instanceof AC.Input)) {
        throw new Error(`no input with id ${id} in the rendered card`);
      }
      return {
        kind: input.getJsonTypeName(),
        valueOn: input instanceof AC.ToggleInput ? input.valueOn : null,
        valueOff: input instanceof AC.ToggleInput ? input.valueOff : null,
      };
    },

    // Whether element `id` is shown (ToggleVisibility flips isVisible).
    isVisible(id) {
      const element = state.card && state.card.getElementById(id);
      if (!element) {
        throw new Error(`no element with id ${id} in the rendered card`);
      }
      return element.isVisible && !!element.renderedElement &&
        element.renderedElement.offsetParent !== null;
    },

    // Inputs the renderer refused on the last click, with the message it showed.
    invalidInputs() {
      if (!state.card) {
        return [];
      }
      return state.card.getAllInputs().filter((input) => !input.validateValue()).map((input) => ({
        id: input.id,
        message: input.errorMessage || "",
      }));
    },

    executed() {
      return state.executed;
    },
  };
})();
