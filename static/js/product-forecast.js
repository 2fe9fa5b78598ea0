// Demand forecast chart of the product page: units ordered (history), the
// forecast and its prediction interval, by warehouse and granularity. The
// data comes from the page (json_script "forecast-data"); no inline scripts:
// the CSP forbids them.
(() => {
  "use strict";
  const holder = document.getElementById("forecast-chart");
  const source = document.getElementById("forecast-data");
  if (!holder || !source || !window.echarts) {
    return;
  }
  const data = JSON.parse(source.textContent);
  const labels = data.labels;
  const state = { ...data.default };
  const caption = document.getElementById("forecast-caption");
  const select = document.getElementById("forecast-warehouse");
  const buttons = document.querySelectorAll("#forecast-granularity [data-granularity]");
  const chart = window.echarts.init(holder);

  const round = (value) => (value === null || value === undefined ? "-" : Math.round(value * 100) / 100);

  function option(level) {
    const dates = [];
    const history = [];
    const forecast = [];
    const lower = [];
    const band = [];
    for (const [day, units] of level.history) {
      dates.push(day);
      history.push(units);
      forecast.push("-");
      lower.push("-");
      band.push("-");
    }
    for (const [day, quantity, low, high] of level.forecast) {
      dates.push(day);
      history.push("-");
      forecast.push(quantity);
      lower.push(low);
      band.push(Math.max(high - low, 0));
    }
    return {
      animation: false,
      grid: { left: 48, right: 16, top: 36, bottom: 56 },
      legend: { data: [labels.history, labels.forecast, labels.interval], top: 0 },
      tooltip: {
        trigger: "axis",
        formatter(items) {
          const index = items[0].dataIndex;
          const lines = [dates[index]];
          if (history[index] !== "-") {
            lines.push(`${labels.history}: ${history[index]}`);
          } else {
            lines.push(`${labels.forecast}: ${round(forecast[index])}`);
            lines.push(`${labels.interval}: ${round(lower[index])} – ${round(lower[index] + band[index])}`);
          }
          return lines.join("<br>");
        },
      },
      dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 8 }],
      xAxis: { type: "category", data: dates, boundaryGap: true },
      yAxis: { type: "value", min: 0 },
      series: [
        { name: labels.history, type: "bar", data: history, barMaxWidth: 14 },
        {
          name: labels.interval,
          type: "line",
          stack: "interval",
          data: lower,
          symbol: "none",
          lineStyle: { opacity: 0 },
          tooltip: { show: false },
          legendHoverLink: false,
        },
        {
          name: labels.interval,
          type: "line",
          stack: "interval",
          data: band,
          symbol: "none",
          lineStyle: { opacity: 0 },
          areaStyle: { opacity: 0.25 },
        },
        {
          name: labels.forecast,
          type: "line",
          data: forecast,
          symbol: "circle",
          symbolSize: 4,
          lineStyle: { type: "dashed", width: 2 },
        },
      ],
    };
  }

  function render() {
    const levels = data.series[state.warehouse] || {};
    for (const button of buttons) {
      const key = button.dataset.granularity;
      const active = key === state.granularity;
      button.classList.toggle("active", active);
      button.setAttribute("aria-pressed", active ? "true" : "false");
      button.disabled = !(key in levels);
    }
    const level = levels[state.granularity];
    if (!level) {
      chart.clear();
      caption.textContent = labels.none;
      holder.dataset.state = "empty";
      return;
    }
    chart.setOption(option(level), true);
    caption.textContent = level.caption;
    holder.dataset.state = `${state.warehouse}:${state.granularity}`;
  }

  for (const button of buttons) {
    button.addEventListener("click", () => {
      state.granularity = button.dataset.granularity;
      render();
    });
  }
  if (select) {
    select.addEventListener("change", () => {
      state.warehouse = select.value;
      const levels = data.series[state.warehouse] || {};
      if (!(state.granularity in levels)) {
        state.granularity = Object.keys(levels)[0] || state.granularity;
      }
      render();
    });
  }
  window.addEventListener("resize", () => chart.resize());
  render();
})();
