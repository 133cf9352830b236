// Figures in reports and baselines carry two decimals unless a caller asks for another precision.
export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
