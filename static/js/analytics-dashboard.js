// KPI dashboards: the period filter's custom dates, and the charts drawn
// with ECharts from the JSON the page carries (json_script); a click on a day,
// a bar or a slice opens the list behind it. No inline scripts: the CSP
// forbids them.
(() => {
  const form = document.getElementById("dashboard-filters");
  if (form) {
    const period = form.querySelector("[name=period]");
    const dates = form.querySelectorAll(".dashboard-custom-date");
    const sync = () => {
      dates.forEach((el) => el.classList.toggle("d-none", period.value !== "custom"));
    };
    period.addEventListener("change", sync);
    form.querySelectorAll("input[type=date]").forEach((input) => {
      input.addEventListener("change", () => {
        period.value = "custom";
        sync();
      });
    });
    sync();
  }

  const source = document.getElementById("dashboard-data");
  if (!source || typeof window.echarts === "undefined") {
    return;
  }
  const data = JSON.parse(source.textContent);
  const mode = document.documentElement.getAttribute("data-bs-theme");
  const dark =
    mode === "dark" ||
    (mode === "auto" && window.matchMedia("(prefers-color-scheme: dark)").matches);
  const numbers = new Intl.NumberFormat(document.documentElement.lang || undefined, {
    maximumFractionDigits: 2,
  });
  const show = (value, unit) =>
    value === null || value === undefined
      ? data.labels.noData
      : `${numbers.format(value)}${unit ? ` ${unit}` : ""}`;
  // Counts get whole-number axes.
  const whole = (values) => values.every((value) => value === null || Number.isInteger(value));
  const charts = [];
  const make = (element) => {
    const chart = window.echarts.init(element, dark ? "dark" : null, { renderer: "canvas" });
    chart.on("finished", () => {
      element.dataset.rendered = "true";
    });
    charts.push(chart);
    return chart;
  };
  const open = (url) => {
    if (url) {
      window.location.assign(url);
    }
  };

  // Day by day: one KPI of the group at a time, its target as a line.
  const trendElement = document.getElementById("chart-trend");
  const picker = document.getElementById("trend-kpi");
  if (trendElement && data.trend.series.length) {
    const chart = make(trendElement);
    const days = data.trend.days;
    const many = days.length > 62;
    const chosen = () =>
      data.trend.series.find((series) => series.key === picker.value) || data.trend.series[0];
    const draw = () => {
      const series = chosen();
      trendElement.dataset.kpi = series.key;
      chart.setOption(
        {
          backgroundColor: "transparent",
          tooltip: {
            trigger: "axis",
            valueFormatter: (value) => show(value, series.unit),
          },
          grid: { left: 32, right: 32, top: 32, bottom: many ? 64 : 24, containLabel: true },
          xAxis: { type: "category", data: days, boundaryGap: false },
          yAxis: {
            type: "value",
            name: series.unit,
            scale: true,
            minInterval: whole(series.values) ? 1 : 0,
          },
          dataZoom: many ? [{ type: "inside" }, { type: "slider" }] : [],
          series: [
            {
              name: series.label,
              type: "line",
              data: series.values,
              showSymbol: !many,
              symbolSize: 7,
              markLine:
                series.target === null
                  ? undefined
                  : {
                      symbol: "none",
                      silent: true,
                      lineStyle: { type: "dashed" },
                      label: {
                        position: "insideStartTop",
                        formatter: `${data.labels.target} ${show(series.target, "")}`,
                      },
                      data: [{ yAxis: series.target }],
                    },
            },
          ],
        },
        true,
      );
    };
    const drillDay = (index) => {
      const series = chosen();
      const day = days[index];
      if (day === undefined || !series.values || series.values[index] === null) {
        return;
      }
      const url = new URL(data.trend.drill, window.location.origin);
      url.searchParams.set("kpi", series.key);
      url.searchParams.set("from", day);
      url.searchParams.set("to", day);
      open(url.pathname + url.search);
    };
    // A click anywhere over a day (not only on its dot) opens that day.
    chart.getZr().on("click", (event) => {
      const point = [event.offsetX, event.offsetY];
      if (chart.containPixel("grid", point)) {
        drillDay(chart.convertFromPixel({ seriesIndex: 0 }, point)[0]);
      }
    });
    // Only the first KPI's days come with the page; the others on demand.
    const load = () => {
      const series = chosen();
      if (series.values) {
        draw();
        return;
      }
      chart.showLoading();
      fetch(series.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
        .then((loaded) => {
          series.values = loaded.values;
        })
        .catch(() => {
          series.values = days.map(() => null);
        })
        .finally(() => {
          chart.hideLoading();
          draw();
        });
    };
    picker.addEventListener("change", load);
    load();
  }

  // Breakdowns: a bar or a slice per channel, warehouse, category or reason.
  document.querySelectorAll("[data-chart=breakdown]").forEach((element) => {
    const breakdown = data.breakdowns[Number(element.dataset.index)];
    const chart = make(element);
    const points = breakdown.labels.map((label, index) => ({
      name: label,
      value: breakdown.values[index],
    }));
    if (breakdown.kind === "pie") {
      chart.setOption({
        backgroundColor: "transparent",
        tooltip: { trigger: "item", valueFormatter: (value) => show(value, breakdown.unit) },
        legend: { type: "scroll", bottom: 0 },
        series: [
          {
            type: "pie",
            radius: ["35%", "65%"],
            center: ["50%", "45%"],
            data: points,
            label: { formatter: "{b}: {d}%" },
          },
        ],
      });
    } else {
      // Horizontal bars: long names stay readable on a narrow screen.
      chart.setOption({
        backgroundColor: "transparent",
        tooltip: {
          trigger: "axis",
          axisPointer: { type: "shadow" },
          valueFormatter: (value) => show(value, breakdown.unit),
        },
        grid: { left: 12, right: 48, top: 12, bottom: 12, containLabel: true },
        xAxis: {
          type: "value",
          name: breakdown.unit,
          minInterval: whole(breakdown.values) ? 1 : 0,
        },
        yAxis: { type: "category", data: breakdown.labels, inverse: true },
        series: [
          {
            type: "bar",
            data: breakdown.values,
            label: {
              show: true,
              position: "right",
              formatter: (params) => show(params.value, ""),
            },
          },
        ],
      });
    }
    chart.on("click", (params) => open(breakdown.drill[params.dataIndex]));
  });

  // Charts follow their boxes: a narrow screen, a rotated phone, a sidebar.
  if (window.ResizeObserver) {
    const observer = new ResizeObserver(() => charts.forEach((chart) => chart.resize()));
    charts.forEach((chart) => observer.observe(chart.getDom()));
  } else {
    window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
  }
})();
