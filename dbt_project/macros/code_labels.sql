{#- Labels for the contract's code values (../shared/spec/state-files.md §4), used by staging. -#}

{% macro flag_to_boolean(column) -%}
    case {{ column }} when 'Y' then true when 'N' then false end
{%- endmacro %}

{% macro enrollment_type_label(column) -%}
    case {{ column }}
        when '01' then 'basic school program'
        when '02' then 'regular-term MEP project'
        when '03' then 'summer/intersession MEP project'
        when '04' then 'year-round MEP project'
        when '05' then 'residency only'
    end
{%- endmacro %}

{% macro grade_level_label(column) -%}
    case {{ column }}
        when 'IT' then 'infant/toddler'
        when 'PR' then 'preschool'
        when 'PK' then 'pre-kindergarten'
        when 'KG' then 'kindergarten'
        when 'UG' then 'ungraded'
        when 'OS' then 'out-of-school youth'
        else 'grade ' || ltrim({{ column }}, '0')
    end
{%- endmacro %}

{% macro subject_area_label(column) -%}
    case
        when {{ column }} = '01' then 'English language and literature'
        when {{ column }} = '02' then 'mathematics'
        when {{ column }} = '03' then 'life and physical sciences'
        when {{ column }} = '04' then 'social sciences and history'
        when {{ column }} = '05' then 'fine and performing arts'
        when {{ column }} = '07' then 'religious education'
        when {{ column }} = '08' then 'physical, health and safety education'
        when {{ column }} between '10' and '21' then 'career and technical education'
        when {{ column }} = '22' then 'miscellaneous'
        when {{ column }} = '23' then 'non-subject-specific'
        when {{ column }} = '24' then 'world languages'
    end
{%- endmacro %}

{% macro medical_alert_label(column) -%}
    case {{ column }} when 'C' then 'chronic' when 'A' then 'acute' when 'N' then 'none' end
{%- endmacro %}
