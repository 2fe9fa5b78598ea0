// Fulfilment timeline: open orders as frappe-gantt bars from the JSON the
// page carries (json_script); a bar opens its order. No inline scripts: the
// CSP forbids them.
(() => {
  const source = document.getElementById("timeline-data");
  const element = document.getElementById("timeline-chart");
  if (!source || !element || typeof window.Gantt === "undefined") {
    return;
  }
  const data = JSON.parse(source.textContent);
  if (!data.tasks.length) {
    return;
  }
  const labels = data.labels;
  const escape = (text) => {
    const holder = document.createElement("div");
    holder.textContent = text === null || text === undefined ? "" : String(text);
    return holder.innerHTML;
  };
  const language = (document.documentElement.lang || "en").toLowerCase().startsWith("zh")
    ? "zh"
    : "en";
  const start = new Date(`${data.today}T00:00:00`);
  start.setDate(start.getDate() - 7);
  const pad = (n) => String(n).padStart(2, "0");
  const weekAgo = `${start.getFullYear()}-${pad(start.getMonth() + 1)}-${pad(start.getDate())}`;
  new window.Gantt(element, data.tasks, {
    readonly: true,
    language,
    view_mode: "Day",
    view_modes: ["Day", "Week", "Month"],
    view_mode_select: true,
    today_button: true,
    // A week before today, so the bars of the last days show with it.
    scroll_to: weekAgo,
    bar_height: 22,
    padding: 14,
    infinite_padding: false,
    auto_move_label: true,
    popup_on: "hover",
    popup: (ctx) => {
      const task = ctx.task;
      ctx.set_title(escape(task.number));
      ctx.set_subtitle(escape(`${task.status} · ${task.risk}`));
      const details = [
        [labels.customer, task.customer],
        [labels.channel, task.channel],
        [labels.placed, task.placed_at],
        [labels.confirmed, task.confirmed_at],
        [labels.fulfilment, task.fulfilment_at],
        [labels.partiallyShipped, task.partially_shipped_at],
        [labels.promised, task.promised_date],
        [labels.priority, task.priority],
      ].filter(([, value]) => value);
      ctx.set_details(
        details.map(([label, value]) => `${escape(label)}: ${escape(value)}`).join("<br>"),
      );
    },
    on_click: (task) => window.location.assign(task.url),
  });
  element.dataset.rendered = "true";
})();
