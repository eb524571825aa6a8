// Types of ui/vendor/uplot.js, which the control API serves from the uplot package's ESM build
// (this folder holds no copy of it): for type-checking the dashboard's modules only.
import uPlot from 'uplot';
export default uPlot;
